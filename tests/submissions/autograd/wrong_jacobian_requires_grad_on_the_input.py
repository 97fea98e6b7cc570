"""Calls x.requires_grad_() on the caller's tensor and uses its .grad, leaving both changed afterwards.

fails: test_jacobian_leaves_x_and_its_grad_as_they_were
hint: requires_grad_
"""


def jacobian(f, x):
    x.requires_grad_()
    output = f(x)
    rows = []
    for i in range(output.shape[0]):
        x.grad = None
        output[i].backward(retain_graph=True)
        rows.append(x.grad)
    return torch.stack(rows)
