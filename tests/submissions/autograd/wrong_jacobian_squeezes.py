"""Squeezes the stacked rows "to tidy the shape", which removes a dimension of size 1 when m or n is 1.

fails: test_jacobian_keeps_both_dimensions_when_one_has_size_1
hint: squeezed
"""


def jacobian(f, x):
    point = x.detach().requires_grad_()
    output = f(point)
    rows = []
    for i in range(output.shape[0]):
        point.grad = None
        output[i].backward(retain_graph=True)
        rows.append(point.grad)
    return torch.stack(rows).squeeze()
