"""Hands the work to the built-in F.dropout.

fails: test_dropout_uses_no_forbidden_builtin
hint: relies on built-ins
"""

import torch.nn.functional as F


def dropout(input, p=0.5, training=True):
    return F.dropout(input, p, training)
