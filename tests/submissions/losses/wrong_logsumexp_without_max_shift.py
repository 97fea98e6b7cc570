"""Computes log(sum(exp(x))) literally, without subtracting the maximum first.

fails: test_logsumexp_is_stable_for_large_inputs
hint: overflow
"""


def logsumexp(input, dim):
    return torch.log(torch.exp(input).sum(dim=dim))
