"""Ignores set_to_none and always sets the gradients to None.

fails: test_zero_grad_with_set_to_none_false_zeroes_each_gradient_in_place, test_zero_grad_accepts_a_generator_such_as_model_parameters
hint: set_to_none=False was ignored
"""


def zero_grad(params, set_to_none=True):
    for param in params:
        param.grad = None
