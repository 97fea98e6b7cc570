"""Works on w0 itself instead of a copy, so the caller's tensor is changed.

fails: test_gradient_descent_leaves_w0_untouched
hint: modified the caller's w0
"""


def gradient_descent(loss_fn, w0, lr, steps):
    w = w0.requires_grad_(True)
    losses = []
    for _ in range(steps):
        loss = loss_fn(w)
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad = None
    return w.detach().clone(), losses
