"""Decays every parameter, also those that have no gradient.

fails: test_sgd_step_with_weight_decay_skips_parameters_without_a_gradient
hint: decayed anyway
"""


def sgd_step_with_weight_decay(params, lr, weight_decay):
    with torch.no_grad():
        for p in params:
            p *= 1 - lr * weight_decay
            if p.grad is not None:
                p -= lr * p.grad
