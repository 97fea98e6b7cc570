"""Forgets the minus sign of the negative log-likelihood: y log p + (1 - y) log(1 - p).

fails: test_binary_cross_entropy_with_logits_matches_pytorch
hint: the sign is flipped
"""


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    losses = input * target - input.clamp(min=0) - torch.log1p(torch.exp(-input.abs()))
    return apply_reduction(losses, reduction)
