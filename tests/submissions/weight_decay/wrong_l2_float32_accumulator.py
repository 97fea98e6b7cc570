"""Accumulates in place into torch.tensor(0.0), a float32 tensor on the CPU.

fails: test_l2_penalty_returns_a_0d_tensor_of_the_parameters_dtype_and_device
hint: torch.tensor(0.0)
"""


def l2_penalty(params, weight_decay):
    total = torch.tensor(0.0)
    for p in params:
        total += (p ** 2).sum()
    return weight_decay * total
