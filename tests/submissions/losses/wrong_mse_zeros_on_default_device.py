"""Starts from torch.zeros(input.shape), a tensor on the default (CPU) device, not the input's.

fails: test_mse_loss_creates_no_tensor_on_another_device
hint: device
"""


def mse_loss(input, target, reduction="mean"):
    losses = torch.zeros(input.shape, dtype=input.dtype)
    losses = losses + (input - target) ** 2
    return apply_reduction(losses, reduction)
