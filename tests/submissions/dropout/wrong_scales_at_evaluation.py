"""Mixes the two conventions: scales kept elements while training and multiplies by 1 - p at evaluation.

fails: test_dropout_is_the_identity_when_not_training
hint: evaluation does nothing at all
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training:
        return input * (1.0 - p)
    if p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = torch.rand_like(input) >= p
    return input * keep / (1.0 - p)
