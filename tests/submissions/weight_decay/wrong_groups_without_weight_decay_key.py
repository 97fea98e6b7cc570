"""Leaves weight_decay out of the second group, expecting no decay by default.

fails: test_decay_parameter_groups_gives_each_group_its_weight_decay, test_decay_parameter_groups_works_with_torch_optim_adamw
hint: 'weight_decay' key
"""


def decay_parameter_groups(model, weight_decay):
    decayed = [p for p in model.parameters() if p.ndim >= 2]
    not_decayed = [p for p in model.parameters() if p.ndim < 2]
    return [{"params": decayed, "weight_decay": weight_decay}, {"params": not_decayed}]
