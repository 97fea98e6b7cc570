"""Adds up the norms of the parameters instead of their squares.

fails: test_l2_penalty_matches_the_explicit_penalty, test_l2_penalty_gradient_is_twice_weight_decay_times_theta
hint: not squared
"""


def l2_penalty(params, weight_decay):
    return weight_decay * sum(p.norm() for p in params)
