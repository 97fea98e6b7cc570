"""With set_to_none=False assigns p.grad = torch.zeros_like(p) to every parameter: new tensors, and zeros even where
there was no gradient.

fails: test_zero_grad_with_set_to_none_false_zeroes_each_gradient_in_place, test_zero_grad_leaves_parameters_and_missing_gradients_alone
hint: replaces the tensor
"""


def zero_grad(params, set_to_none=True):
    for param in params:
        param.grad = None if set_to_none else torch.zeros_like(param)
