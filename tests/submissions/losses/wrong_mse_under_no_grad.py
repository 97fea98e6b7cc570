"""Computes the loss under torch.no_grad(), "because a loss needs no gradient of its own".

fails: test_mse_loss_gradient_matches_pytorch
hint: detached
"""


def mse_loss(input, target, reduction="mean"):
    with torch.no_grad():
        return apply_reduction((input - target) ** 2, reduction)
