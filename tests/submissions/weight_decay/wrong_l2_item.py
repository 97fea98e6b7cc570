"""Accumulates Python numbers with .item(), so the penalty is a float with no gradient.

fails: test_l2_penalty_matches_the_explicit_penalty, test_l2_penalty_gradient_is_twice_weight_decay_times_theta, test_l2_penalty_returns_a_0d_tensor_of_the_parameters_dtype_and_device
hint: .item()
"""


def l2_penalty(params, weight_decay):
    total = 0.0
    for p in params:
        total += (p ** 2).sum().item()
    return weight_decay * total
