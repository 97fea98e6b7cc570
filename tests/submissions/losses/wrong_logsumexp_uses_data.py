"""Works on input.data "to keep autograd out of the way", which cuts the result off the graph.

fails: test_logsumexp_gradient_matches_pytorch
hint: detached
"""


def logsumexp(input, dim):
    values = input.data
    peak = values.amax(dim=dim, keepdim=True)
    return (peak + torch.log(torch.exp(values - peak).sum(dim=dim, keepdim=True))).squeeze(dim)
