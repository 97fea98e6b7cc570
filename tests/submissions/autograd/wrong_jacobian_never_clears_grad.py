"""Runs one backward per output but never clears point.grad between them, copying the running sum each time.

fails: test_jacobian_matches_torch_autograd_functional_jacobian
hint: sum of rows 0..i
"""


def jacobian(f, x):
    point = x.detach().requires_grad_()
    output = f(point)
    rows = []
    for i in range(output.shape[0]):
        output[i].backward(retain_graph=True)
        rows.append(point.grad.clone())
    return torch.stack(rows)
