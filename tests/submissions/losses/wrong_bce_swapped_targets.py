"""Puts y and 1 - y the wrong way round: -[(1 - y) log p + y log(1 - p)].

fails: test_binary_cross_entropy_with_logits_matches_pytorch, test_binary_cross_entropy_with_logits_gradient_matches_pytorch
hint: the targets are swapped
"""


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    losses = input.clamp(min=0) - input * (1 - target) + torch.log1p(torch.exp(-input.abs()))
    return apply_reduction(losses, reduction)
