"""Always returns the mean squared error, whatever `reduction` says.

fails: test_mse_loss_matches_pytorch, test_mse_loss_rejects_an_unknown_reduction
hint: is `reduction` ignored
"""


def mse_loss(input, target, reduction="mean"):
    return ((input - target) ** 2).mean()
