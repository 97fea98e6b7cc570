"""Correct in another style: grad works on a fresh leaf made inside a small context manager of its own
(under enable_grad, so it also works when called under no_grad); jacobian fills a preallocated x.new_zeros
matrix row by row, copying each gradient in and zeroing the leaf's .grad in place between rows; mlp_forward
is two einsums with '...' so that one example and a batch share one formula, and relu written as a maximum."""

import contextlib

import torch


@contextlib.contextmanager
def fresh_leaf(x):
    """A new leaf with x's values whose .grad belongs to the caller alone; x itself is never touched."""
    with torch.enable_grad():
        yield x.detach().clone().requires_grad_(True)


def grad(f, x):
    with fresh_leaf(x) as leaf:
        f(leaf).backward()
    if leaf.grad is None:  # f did not depend on x at all
        return torch.zeros_like(x)
    return leaf.grad


def jacobian(f, x):
    with fresh_leaf(x) as leaf:
        outputs = f(leaf)
        result = x.new_zeros((outputs.shape[0], x.shape[0]))
        for row in range(outputs.shape[0]):
            outputs[row].backward(retain_graph=row < outputs.shape[0] - 1)
            if leaf.grad is not None:
                result[row] = leaf.grad  # copied into the result
                leaf.grad.zero_()
    return result


def mlp_forward(x, W1, b1, W2, b2):
    pre_activation = torch.einsum("...i,hi->...h", x, W1) + b1
    hidden = torch.maximum(pre_activation, torch.zeros_like(pre_activation))
    return torch.einsum("...h,oh->...o", hidden, W2) + b2
