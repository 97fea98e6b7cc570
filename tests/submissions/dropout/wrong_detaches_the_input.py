"""Builds the output from input.detach(): no gradient reaches the layers below.

fails: test_dropout_gradient_is_the_mask_scaled_by_one_over_one_minus_p
hint: no gradient reached the input
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = torch.rand_like(input) >= p
    return input.detach() * keep / (1.0 - p)
