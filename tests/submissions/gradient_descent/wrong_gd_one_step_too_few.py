"""Counts steps from 1 and stops one update early.

fails: test_gradient_descent_reproduces_the_course_table, test_gradient_descent_matches_torch_optim_sgd
hint: losses came back
"""


def gradient_descent(loss_fn, w0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    losses = []
    for _ in range(1, steps):
        loss = loss_fn(w)
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad = None
    return w.detach(), losses
