"""Uses F.softplus for the log(1 + exp(-z)) term: (1 - y) z + softplus(-z).

fails: test_binary_cross_entropy_with_logits_uses_no_forbidden_builtin
hint: relies on built-ins
"""

import torch.nn.functional as F


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    return apply_reduction((1 - target) * input + F.softplus(-input), reduction)
