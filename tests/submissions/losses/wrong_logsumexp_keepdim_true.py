"""Keeps the reduced dimension (keepdim=True everywhere) and forgets to squeeze it at the end.

fails: test_logsumexp_matches_pytorch, test_logsumexp_gradient_matches_pytorch
hint: keepdim=False
"""


def logsumexp(input, dim):
    peak = input.amax(dim=dim, keepdim=True).detach()
    return peak + torch.log(torch.exp(input - peak).sum(dim=dim, keepdim=True))
