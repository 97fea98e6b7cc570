"""Hands the step to torch.optim.SGD.

fails: test_sgd_step_uses_no_torch_optim
hint: torch.optim
"""


def sgd_step(params, lr):
    torch.optim.SGD(params, lr=lr).step()
