"""Calls backward once on the sum of the outputs, which gives the sum of the Jacobian's rows.

fails: test_jacobian_matches_torch_autograd_functional_jacobian
hint: gradient of the sum
"""


def jacobian(f, x):
    point = x.detach().requires_grad_()
    f(point).sum().backward()
    return point.grad
