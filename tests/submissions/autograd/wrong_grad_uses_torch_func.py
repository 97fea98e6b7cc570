"""Uses torch.func.grad, the functional transform, reached with getattr so that no source scan sees it.

fails: test_grad_uses_no_forbidden_builtin
hint: relies on
"""

import importlib


def grad(f, x):
    transforms = importlib.import_module("torch." + "func")
    return getattr(transforms, "grad")(f)(x.detach())
