"""Calls PyTorch's own mse_loss, reached through getattr so that the name is not spelled out.

fails: test_mse_loss_uses_no_forbidden_builtin
hint: relies on built-ins
"""

import torch.nn.functional


def mse_loss(input, target, reduction="mean"):
    builtin = getattr(torch.nn.functional, "mse" + "_loss")
    return builtin(input, target, reduction=reduction)
