"""Turns the boolean mask into float64 with .double(): a float32 input comes back as float64.

fails: test_dropout_returns_a_plain_tensor_of_the_input_dtype_and_device
hint: dtype
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = (torch.rand_like(input) >= p).double()
    return input * keep / (1.0 - p)
