"""Assumes every parameter has a gradient.

fails: test_sgd_step_skips_parameters_without_a_gradient
hint: .grad was None
"""


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
