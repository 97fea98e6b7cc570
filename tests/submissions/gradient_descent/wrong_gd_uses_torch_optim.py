"""Lets torch.optim.SGD do the update, reached under another name.

fails: test_gradient_descent_uses_no_torch_optim
hint: torch.optim
"""

import importlib


def gradient_descent(loss_fn, w0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    optimizer = getattr(importlib.import_module("torch." + "op" + "tim"), "S" + "GD")([w], lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(w)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return w.detach(), losses
