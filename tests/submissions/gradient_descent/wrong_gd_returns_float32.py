"""Returns w.float(), taken for "w as a plain float tensor", which turns a float64 w into float32.

fails: test_gradient_descent_returns_a_detached_tensor_and_python_floats
hint: expected torch.float64
"""


def gradient_descent(loss_fn, w0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    losses = []
    for _ in range(steps):
        loss = loss_fn(w)
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad = None
    return w.detach().float(), losses
