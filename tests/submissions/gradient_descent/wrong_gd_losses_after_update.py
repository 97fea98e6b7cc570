"""Records the loss after each update ("the loss the step achieved") instead of before it.

fails: test_gradient_descent_reproduces_the_course_table, test_gradient_descent_matches_torch_optim_sgd
hint: recorded after its update
"""


def gradient_descent(loss_fn, w0, lr, steps):
    w = w0.detach().clone().requires_grad_(True)
    losses = []
    for _ in range(steps):
        loss_fn(w).backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad = None
        losses.append(loss_fn(w).item())
    return w.detach(), losses
