"""No special case for p = 1: the mask is all zeros and 0 / (1 - 1) gives nan.

fails: test_dropout_with_p_one_returns_zeros_and_a_zero_gradient
hint: divides 0 by 0
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training:
        return input
    keep = torch.rand_like(input) >= p
    return input * keep / (1.0 - p)
