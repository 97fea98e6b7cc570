"""Builds the one-hot targets with torch.eye(C)[target], a matrix on the default device.

fails: test_cross_entropy_creates_no_tensor_on_another_device
hint: device
"""


def cross_entropy(input, target, reduction="mean"):
    one_hot = torch.eye(input.shape[1], dtype=input.dtype)[target]
    log_probabilities = input - logsumexp(input, dim=1).unsqueeze(1)
    return apply_reduction(-(one_hot * log_probabilities).sum(dim=1), reduction)
