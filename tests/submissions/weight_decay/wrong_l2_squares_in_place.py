"""Names the parameter `squared` and squares it in place, squaring the parameter itself.

fails: test_l2_penalty_leaves_the_parameters_unmodified, test_l2_penalty_gradient_is_twice_weight_decay_times_theta
hint: in place
"""


def l2_penalty(params, weight_decay):
    total = 0
    for p in params:
        squared = p
        squared **= 2
        total = total + squared.sum()
    return weight_decay * total
