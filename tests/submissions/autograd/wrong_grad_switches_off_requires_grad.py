"""Saves and restores x.grad correctly, then calls x.requires_grad_(False) "to stop tracking", changing the caller's x.

fails: test_grad_leaves_x_unmodified
hint: requires_grad_
"""


def grad(f, x):
    saved = x.grad
    x.grad = None
    f(x).backward()
    gradient = x.grad
    x.grad = saved
    x.requires_grad_(False)
    return gradient
