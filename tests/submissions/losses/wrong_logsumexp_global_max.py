"""Shifts by the largest value of the whole tensor instead of each slice's own maximum.

fails: test_logsumexp_is_stable_for_large_inputs
hint: over the whole tensor
"""


def logsumexp(input, dim):
    peak = input.max().detach()
    return peak + torch.log(torch.exp(input - peak).sum(dim=dim))
