"""Reads the first parameter to set up a zero of the right dtype and device, which uses it up when params
is a generator.

fails: test_l2_penalty_accepts_a_generator_of_parameters
hint: generator
"""


def l2_penalty(params, weight_decay):
    first = next(iter(params))
    total = torch.zeros((), dtype=first.dtype, device=first.device)
    for p in params:
        total = total + (p ** 2).sum()
    return weight_decay * total
