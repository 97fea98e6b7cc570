"""Computes in float64 "for accuracy" and returns the float64 result whatever the input's dtype.

fails: test_mlp_forward_returns_a_plain_tensor_of_the_input_dtype_and_device
hint: dtype
"""


def mlp_forward(x, W1, b1, W2, b2):
    x, W1, b1, W2, b2 = (t.double() for t in (x, W1, b1, W2, b2))
    return torch.relu(x @ W1.T + b1) @ W2.T + b2
