"""Gives set_to_none a default of False (PyTorch's old default), so zero_grad(params) fills zeros instead of None.

fails: test_zero_grad_sets_gradients_to_none_unless_told_otherwise
hint: set_to_none defaults to True
"""


def zero_grad(params, set_to_none=False):
    for param in params:
        if param.grad is None:
            continue
        if set_to_none:
            param.grad = None
        else:
            param.grad.zero_()
