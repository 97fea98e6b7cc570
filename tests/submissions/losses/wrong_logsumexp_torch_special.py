"""Calls torch.special.logsumexp, "which is not torch.logsumexp".

fails: test_logsumexp_uses_no_forbidden_builtin
hint: relies on built-ins
"""

import torch.special


def logsumexp(input, dim):
    return torch.special.logsumexp(input, dim)
