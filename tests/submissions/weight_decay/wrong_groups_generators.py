"""Puts generators in the groups, which are used up the first time they are read.

fails: test_decay_parameter_groups_decays_weights_but_not_biases
hint: generator
"""


def decay_parameter_groups(model, weight_decay):
    return [{"params": (p for p in model.parameters() if p.ndim >= 2), "weight_decay": weight_decay},
            {"params": (p for p in model.parameters() if p.ndim < 2), "weight_decay": 0.0}]
