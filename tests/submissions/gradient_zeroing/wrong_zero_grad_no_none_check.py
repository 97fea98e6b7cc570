"""Calls p.grad.zero_() on every parameter, including those whose .grad is None.

fails: test_zero_grad_with_set_to_none_false_zeroes_each_gradient_in_place
hint: skip them
"""


def zero_grad(params, set_to_none=True):
    for param in params:
        if set_to_none:
            param.grad = None
        else:
            param.grad.zero_()
