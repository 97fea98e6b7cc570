"""Updates w out of place without torch.no_grad(), keeping .grad alive with retain_grad(), and returns
w itself: every update is recorded in an ever longer graph, and w comes back attached to it.

fails: test_gradient_descent_returns_a_detached_tensor_and_python_floats
hint: grad_fn
"""


def gradient_descent(loss_fn, w0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    losses = []
    for _ in range(steps):
        loss = loss_fn(w)
        losses.append(loss.item())
        loss.backward()
        w = w - lr * w.grad
        w.retain_grad()
    return w, losses
