"""Scales the kept elements by 1 / p instead of 1 / (1 - p).

fails: test_dropout_scales_kept_elements_by_one_over_one_minus_p, test_dropout_with_p_zero_returns_the_input_unchanged
hint: divided by p
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training:
        return input
    keep = torch.rand_like(input) >= p
    return input * keep / p
