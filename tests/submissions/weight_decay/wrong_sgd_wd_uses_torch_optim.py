"""Hands the step to torch.optim.SGD.

fails: test_sgd_step_with_weight_decay_uses_no_torch_optim
hint: torch.optim
"""

from torch import optim


def sgd_step_with_weight_decay(params, lr, weight_decay):
    optim.SGD(params, lr=lr, weight_decay=weight_decay).step()
