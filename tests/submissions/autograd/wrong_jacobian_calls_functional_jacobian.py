"""Calls torch.autograd.functional.jacobian, the built-in this exercise re-implements.

fails: test_jacobian_uses_no_forbidden_builtin
hint: torch.autograd.functional.jacobian
"""


def jacobian(f, x):
    return torch.autograd.functional.jacobian(f, x)
