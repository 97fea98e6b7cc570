"""Uses torch.func.jacrev, imported under another name.

fails: test_jacobian_uses_no_forbidden_builtin
hint: jacrev
"""

from torch.func import jacrev as reverse_mode


def jacobian(f, x):
    return reverse_mode(f)(x)
