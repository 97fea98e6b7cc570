"""Writes max(z, 0) as torch.maximum(input, torch.zeros(input.shape)), a zero tensor on the default device.

fails: test_binary_cross_entropy_with_logits_creates_no_tensor_on_another_device
hint: device
"""


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    zeros = torch.zeros(input.shape, dtype=input.dtype)
    losses = torch.maximum(input, zeros) - input * target + torch.log1p(torch.exp(-input.abs()))
    return apply_reduction(losses, reduction)
