"""Passes create_graph=True to every row's backward "so that the Jacobian can be differentiated again": the rows,
and so the returned Jacobian, carry a graph and require grad (torch.autograd.functional.jacobian returns a plain
tensor unless asked).

fails: test_jacobian_returns_a_plain_tensor_of_x_dtype_and_device
hint: requires grad
"""

import warnings


def jacobian(f, x):
    point = x.detach().requires_grad_()
    output = f(point)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(output.shape[0]):
            point.grad = None
            output[i].backward(retain_graph=True, create_graph=True)
            rows.append(point.grad if point.grad is not None else torch.zeros_like(point))
    return torch.stack(rows)
