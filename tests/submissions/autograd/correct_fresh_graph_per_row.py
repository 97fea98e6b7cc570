"""jacobian evaluates f again for every row, on a fresh leaf, into a preallocated result; mlp_forward uses
torch.where and einsum."""

import torch


def grad(f, x):
    leaf = x.clone().detach()
    leaf.requires_grad = True
    value = f(leaf)
    value.backward()
    return leaf.grad


def jacobian(f, x):
    m = f(x.detach()).shape[0]
    result = x.new_zeros(m, x.shape[0])
    for i in range(m):
        leaf = x.detach().clone().requires_grad_()
        f(leaf)[i].backward()
        if leaf.grad is not None:
            result[i] = leaf.grad
    return result


def mlp_forward(x, W1, b1, W2, b2):
    pre = torch.einsum("...i,hi->...h", x, W1) + b1
    hidden = torch.where(pre > 0, pre, 0.0)
    return torch.einsum("...h,oh->...o", hidden, W2) + b2
