"""Decides by the name: everything not called "bias" is decayed, LayerNorm weights and scalars included.

fails: test_decay_parameter_groups_decays_weights_but_not_biases, test_decay_parameter_groups_works_with_torch_optim_adamw
hint: number of dimensions
"""


def decay_parameter_groups(model, weight_decay):
    decayed, not_decayed = [], []
    for name, p in model.named_parameters():
        (not_decayed if "bias" in name else decayed).append(p)
    return [{"params": decayed, "weight_decay": weight_decay}, {"params": not_decayed, "weight_decay": 0.0}]
