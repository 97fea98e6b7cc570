"""Every loss is the right one plus 1: wrong on every value case, while every gradient, every contract rule and the
device are right. Under the points policy the four functions earn nothing, their gradient points included (before, the
gradients alone earned 8 of 42).

fails: test_mse_loss_matches_pytorch, test_logsumexp_matches_pytorch, test_cross_entropy_matches_pytorch, test_binary_cross_entropy_with_logits_matches_pytorch
"""

_ref_mse, _ref_lse, _ref_ce, _ref_bce = mse_loss, logsumexp, cross_entropy, binary_cross_entropy_with_logits


def mse_loss(input, target, reduction="mean"):
    return _ref_mse(input, target, reduction) + 1.0


def logsumexp(input, dim):
    return _ref_lse(input, dim) + 1.0


def cross_entropy(input, target, reduction="mean"):
    return _ref_ce(input, target, reduction) + 1.0


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    return _ref_bce(input, target, reduction) + 1.0
