"""Leaves the biases out of the penalty.

fails: test_l2_penalty_matches_the_explicit_penalty, test_l2_penalty_gradient_is_twice_weight_decay_times_theta
hint: biases included
"""


def l2_penalty(params, weight_decay):
    return weight_decay * sum((p ** 2).sum() for p in params if p.dim() >= 2)
