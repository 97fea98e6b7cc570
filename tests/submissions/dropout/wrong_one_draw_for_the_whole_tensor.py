"""Draws a single random number and drops all of the tensor or none of it.

fails: test_dropout_zeroes_a_fraction_p_of_the_elements
hint: one random number
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    if torch.rand(()).item() < p:
        return input * 0.0
    return input / (1.0 - p)
