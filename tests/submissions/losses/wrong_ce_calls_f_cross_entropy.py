"""Calls F.cross_entropy instead of implementing it.

fails: test_cross_entropy_uses_no_forbidden_builtin
hint: relies on built-ins
"""

import torch.nn.functional as F


def cross_entropy(input, target, reduction="mean"):
    return F.cross_entropy(input, target, reduction=reduction)
