"""Loops with range(len(params)) and indexing, which a generator such as model.parameters() does not support.

fails: test_zero_grad_accepts_a_generator_such_as_model_parameters
hint: generator
"""


def zero_grad(params, set_to_none=True):
    for i in range(len(params)):
        if params[i].grad is None:
            continue
        if set_to_none:
            params[i].grad = None
        else:
            params[i].grad.zero_()
