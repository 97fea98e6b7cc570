"""Squares p.data, which is cut off from the graph.

fails: test_l2_penalty_gradient_is_twice_weight_decay_times_theta
hint: not connected to the parameters' graph
"""


def l2_penalty(params, weight_decay):
    total = 0
    for p in params:
        total = total + (p.data ** 2).sum()
    return weight_decay * total
