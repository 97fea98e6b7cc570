"""Uses the (weight_decay / 2) * sum(theta^2) convention, whose gradient is weight_decay * theta.

fails: test_l2_penalty_matches_the_explicit_penalty, test_l2_penalty_gradient_is_twice_weight_decay_times_theta
hint: (weight_decay / 2)
"""


def l2_penalty(params, weight_decay):
    return 0.5 * weight_decay * sum((p ** 2).sum() for p in params)
