"""Picks a stable formula per sign with torch.where, whose unused branch overflows and poisons the gradient.

fails: test_binary_cross_entropy_with_logits_is_stable_for_large_logits
hint: torch.where evaluates both branches
"""


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    positive = input - input * target + torch.log1p(torch.exp(-input))
    negative = -input * target + torch.log1p(torch.exp(input))
    return apply_reduction(torch.where(input >= 0, positive, negative), reduction)
