"""Subtracts the maximum with input.sub_(peak), shifting the caller's tensor in place.

fails: test_logsumexp_leaves_its_input_unmodified
hint: in place
"""


def logsumexp(input, dim):
    peak = input.amax(dim=dim, keepdim=True).detach()
    shifted = input.sub_(peak)
    return (peak + torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))).squeeze(dim)
