"""Sets x.grad to None before the backward pass so nothing accumulates, but leaves the new gradient in x.grad.

fails: test_grad_leaves_x_grad_none_when_it_was_none, test_grad_leaves_an_existing_x_grad_as_it_was, test_grad_called_twice_returns_the_same_gradient_twice
hint: value it held before is lost
"""


def grad(f, x):
    x.grad = None
    f(x).backward()
    return x.grad.clone()
