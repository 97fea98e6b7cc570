"""Runs f(x).backward() on the caller's x and returns x.grad, the way the course's first example reads it.

fails: test_grad_leaves_x_grad_none_when_it_was_none, test_grad_leaves_an_existing_x_grad_as_it_was, test_grad_called_twice_returns_the_same_gradient_twice
hint: adds to x.grad
"""


def grad(f, x):
    f(x).backward()
    return x.grad
