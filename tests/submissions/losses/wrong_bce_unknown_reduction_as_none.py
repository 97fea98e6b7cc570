"""Handles 'mean' and 'sum' and returns the unreduced losses for anything else, 'avg' included.

fails: test_binary_cross_entropy_with_logits_rejects_an_unknown_reduction
hint: raises ValueError
"""


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    losses = input.clamp(min=0) - input * target + torch.log1p(torch.exp(-input.abs()))
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses
