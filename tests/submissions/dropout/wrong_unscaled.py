"""Applies the mask but forgets to divide the kept elements by 1 - p.

fails: test_dropout_scales_kept_elements_by_one_over_one_minus_p, test_dropout_preserves_the_mean
hint: not scaled
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training:
        return input
    return input * (torch.rand_like(input) >= p)
