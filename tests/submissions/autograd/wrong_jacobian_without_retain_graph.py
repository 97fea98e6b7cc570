"""Computes f(x) once and calls backward on each output without retain_graph=True.

fails: test_jacobian_matches_torch_autograd_functional_jacobian
hint: retain_graph=True
"""


def jacobian(f, x):
    point = x.detach().requires_grad_()
    output = f(point)
    rows = []
    for i in range(output.shape[0]):
        point.grad = None
        output[i].backward()
        rows.append(point.grad)
    return torch.stack(rows)
