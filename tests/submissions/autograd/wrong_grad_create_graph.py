"""Passes create_graph=True to backward "to be safe", so the returned gradient drags a graph along.

fails: test_grad_returns_a_plain_tensor_of_x_dtype_and_device
hint: requires grad
"""

import warnings


def grad(f, x):
    point = x.detach().requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f(point).backward(create_graph=True)
    return point.grad
