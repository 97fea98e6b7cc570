"""Switches requires_grad off to update in place, and forgets to switch it back on.

fails: test_sgd_step_with_weight_decay_keeps_the_same_leaf_tensors
hint: no longer requires grad
"""


def sgd_step_with_weight_decay(params, lr, weight_decay):
    for p in params:
        if p.grad is not None:
            p.requires_grad_(False)
            p -= lr * (p.grad + weight_decay * p)
