"""Divides the penalty by 2 at the end "as in the textbook's 1/2 ||theta||^2": the (weight_decay / 2) convention
again, written as a final division.

fails: test_l2_penalty_matches_the_explicit_penalty, test_l2_penalty_gradient_is_twice_weight_decay_times_theta
hint: (weight_decay / 2)
"""


def l2_penalty(params, weight_decay):
    total = 0
    for p in params:
        total = total + (p * p).sum()
    return weight_decay * total / 2
