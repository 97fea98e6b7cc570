"""Checks p with an assert, which raises AssertionError rather than ValueError.

fails: test_dropout_rejects_p_outside_zero_one
hint: AssertionError
"""


def dropout(input, p=0.5, training=True):
    assert 0.0 <= p <= 1.0, "p must be a probability"
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = torch.rand_like(input) >= p
    return input * keep / (1.0 - p)
