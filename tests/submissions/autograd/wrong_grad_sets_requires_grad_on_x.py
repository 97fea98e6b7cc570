"""Saves and restores x.grad correctly, but calls x.requires_grad_(True) on the caller's x "in case it does not
require grad yet": a tensor that did not require grad comes back requiring it (x is changed). With an x that
already requires grad, as the graders use today, nothing shows.

fails: test_grad_leaves_x_unmodified
hint: requires_grad_
"""


def grad(f, x):
    saved = x.grad
    x.grad = None
    x.requires_grad_(True)
    f(x).backward()
    gradient = x.grad
    x.grad = saved
    return gradient
