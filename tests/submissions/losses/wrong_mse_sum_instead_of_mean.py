"""Adds up the squared errors for reduction="mean" instead of averaging them.

fails: test_mse_loss_matches_pytorch, test_mse_loss_gradient_matches_pytorch
hint: the sum of the losses
"""


def mse_loss(input, target, reduction="mean"):
    losses = (input - target) ** 2
    if reduction in ("mean", "sum"):
        return losses.sum()
    return apply_reduction(losses, reduction)
