"""Keeps each loss tensor (and with it each step's graph) instead of a Python float.

fails: test_gradient_descent_returns_a_detached_tensor_and_python_floats
hint: Python floats
"""


def gradient_descent(loss_fn, w0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    losses = []
    for _ in range(steps):
        loss = loss_fn(w)
        losses.append(loss)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad = None
    return w.detach(), losses
