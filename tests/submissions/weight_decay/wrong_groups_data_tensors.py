"""Collects p.data instead of p: tensors that share the values but are not the model's parameters.

fails: test_decay_parameter_groups_decays_weights_but_not_biases, test_decay_parameter_groups_works_with_torch_optim_adamw, test_decay_parameter_groups_works_with_torch_optim_sgd
hint: own parameter tensors
"""


def decay_parameter_groups(model, weight_decay):
    decayed = [p.data for p in model.parameters() if p.ndim >= 2]
    not_decayed = [p.data for p in model.parameters() if p.ndim < 2]
    return [{"params": decayed, "weight_decay": weight_decay}, {"params": not_decayed, "weight_decay": 0.0}]
