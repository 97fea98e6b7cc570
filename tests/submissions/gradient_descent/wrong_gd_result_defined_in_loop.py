"""Builds a fresh leaf at every step and returns the last one, which is never defined when steps=0.

fails: test_gradient_descent_with_zero_steps_returns_w0_and_no_losses
hint: steps=0
"""


def gradient_descent(loss_fn, w0, lr, steps):
    current = w0.detach().clone()
    losses = []
    for _ in range(steps):
        leaf = current.clone().requires_grad_(True)
        loss = loss_fn(leaf)
        losses.append(loss.item())
        loss.backward()
        new_w = (leaf - lr * leaf.grad).detach()
        current = new_w
    return new_w, losses
