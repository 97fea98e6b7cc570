"""Keeps an element with probability p instead of 1 - p (the comparison points the wrong way).

fails: test_dropout_zeroes_a_fraction_p_of_the_elements, test_dropout_with_p_zero_returns_the_input_unchanged
hint: inverted
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training:
        return input
    if p == 1.0:
        return input * 0.0
    keep = torch.rand_like(input) < p
    return input * keep / (1.0 - p)
