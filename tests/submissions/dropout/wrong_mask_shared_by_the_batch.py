"""Draws one mask of the shape of a row and broadcasts it: every example loses the same units.

fails: test_dropout_draws_an_independent_mask_for_every_element
hint: broadcast over the batch
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = torch.rand(input.shape[-1], device=input.device) >= p
    return input * keep / (1.0 - p)
