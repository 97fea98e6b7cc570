"""grad uses torch.autograd.backward with inputs=; jacobian backpropagates one-hot vectors through the vector
output (y.backward(gradient=e_i)); mlp_forward computes in float64 and converts back."""

import torch


def grad(f, x):
    point = x.detach().clone().requires_grad_(True)
    torch.autograd.backward(f(point), inputs=[point])
    return point.grad.detach()


def jacobian(f, x):
    point = x.detach().clone().requires_grad_(True)
    output = f(point)
    basis = torch.eye(output.shape[0], dtype=output.dtype, device=output.device)
    rows = []
    for i in range(output.shape[0]):
        point.grad = None
        output.backward(gradient=basis[i], retain_graph=i < output.shape[0] - 1)
        rows.append(point.grad.clone())
    return torch.stack(rows, dim=0)


def mlp_forward(x, W1, b1, W2, b2):
    wide = [t.to(torch.float64) for t in (x, W1, b1, W2, b2)]
    hidden = torch.relu(wide[0] @ wide[1].T + wide[2])
    return (hidden @ wide[3].T + wide[4]).to(x.dtype)
