"""Lets the forbidden built-in do the work, reached through getattr(F, "cross" + "_entropy") so that its name never
appears in the code.

fails: test_cross_entropy_uses_no_forbidden_builtin
hint: relies on built-ins
"""

import torch.nn.functional as F


def cross_entropy(input, target, reduction="mean"):
    loss = getattr(F, "cross" + "_entropy")
    return loss(input, target, reduction=reduction)
