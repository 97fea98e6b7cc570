"""Returns the groups in the opposite order: [not_decayed, decayed].

fails: test_decay_parameter_groups_decays_weights_but_not_biases
hint: swapped
"""


def decay_parameter_groups(model, weight_decay):
    decayed = [p for p in model.parameters() if p.ndim >= 2]
    not_decayed = [p for p in model.parameters() if p.ndim < 2]
    return [{"params": not_decayed, "weight_decay": 0.0}, {"params": decayed, "weight_decay": weight_decay}]
