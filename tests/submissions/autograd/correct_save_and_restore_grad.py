"""grad clears x.grad, runs backward on the caller's leaf and puts the old gradient back; jacobian builds each row
with that grad on a detached leaf; mlp_forward uses F.linear and clamp."""

import torch
import torch.nn.functional as F


def grad(f, x):
    saved = x.grad
    x.grad = None
    try:
        f(x).backward()
        gradient = x.grad
    finally:
        x.grad = saved
    return gradient


def jacobian(f, x):
    leaf = x.detach().requires_grad_()
    m = f(leaf).shape[0]
    return torch.stack([grad(lambda t, i=i: f(t)[i], leaf) for i in range(m)])


def mlp_forward(x, W1, b1, W2, b2):
    return F.linear(F.linear(x, W1, b1).clamp(min=0), W2, b2)
