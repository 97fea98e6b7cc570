"""Zeroes and scales the caller's tensor in place and returns it.

fails: test_dropout_leaves_its_input_unmodified
hint: in place
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = torch.rand_like(input) >= p
    input[~keep] = 0
    input /= 1.0 - p
    return input
