"""Applies sigmoid and guards log() with a small epsilon, which keeps the result finite but wrong for large |z|.

fails: test_binary_cross_entropy_with_logits_is_stable_for_large_logits
hint: sigmoid
"""

EPS = 1e-12


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    p = torch.sigmoid(input)
    losses = -(target * torch.log(p + EPS) + (1 - target) * torch.log(1 - p + EPS))
    return apply_reduction(losses, reduction)
