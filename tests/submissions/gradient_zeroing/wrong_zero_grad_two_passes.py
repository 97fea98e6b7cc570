"""Goes through params twice (first to count the parameters that have a gradient), so a generator is empty the
second time and nothing is cleared.

fails: test_zero_grad_accepts_a_generator_such_as_model_parameters
hint: not all zeros
"""


def zero_grad(params, set_to_none=True):
    with_grad = sum(1 for param in params if param.grad is not None)
    if with_grad == 0:
        return
    for param in params:
        if param.grad is None:
            continue
        if set_to_none:
            param.grad = None
        else:
            param.grad.zero_()
