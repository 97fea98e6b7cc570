"""Zeroes point.grad in place between rows and appends point.grad itself: every row is one tensor, the last gradient.

fails: test_jacobian_matches_torch_autograd_functional_jacobian
hint: every row equals the last one
"""


def jacobian(f, x):
    point = x.detach().requires_grad_()
    output = f(point)
    rows = []
    for i in range(output.shape[0]):
        if point.grad is not None:
            point.grad.zero_()
        output[i].backward(retain_graph=True)
        rows.append(point.grad)
    return torch.stack(rows)
