"""Seeds the generator inside dropout "for reproducibility": every call drops the same elements.

fails: test_dropout_draws_a_new_mask_at_every_call
hint: re-seeded
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    torch.manual_seed(0)
    keep = torch.rand_like(input) >= p
    return input * keep / (1.0 - p)
