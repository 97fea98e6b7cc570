"""Reads x.grad, then "cleans up" with x.grad.zero_(), which also zeroes the tensor it returns.

fails: test_grad_matches_torch_autograd_grad, test_grad_of_the_course_example_h_equal_3x2_plus_1_is_12_at_x_equal_2
hint: all zeros
"""


def grad(f, x):
    f(x).backward()
    gradient = x.grad
    x.grad.zero_()
    return gradient
