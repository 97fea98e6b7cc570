"""Writes the ReLU as a maximum with torch.zeros(shape), a tensor created on the default device.

fails: test_mlp_forward_creates_no_tensor_on_another_device
hint: device
"""


def mlp_forward(x, W1, b1, W2, b2):
    pre = x @ W1.T + b1
    hidden = torch.maximum(pre, torch.zeros(pre.shape, dtype=pre.dtype))
    return hidden @ W2.T + b2
