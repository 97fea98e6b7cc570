"""Applies sigmoid and then the textbook -[y log p + (1 - y) log(1 - p)], which breaks once |z| is large.

fails: test_binary_cross_entropy_with_logits_is_stable_for_large_logits
hint: sigmoid
"""


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    p = torch.sigmoid(input)
    losses = -(target * torch.log(p) + (1 - target) * torch.log(1 - p))
    return apply_reduction(losses, reduction)
