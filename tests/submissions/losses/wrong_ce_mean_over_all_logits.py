"""Averages over every entry of the (N, C) log-probability matrix instead of over the N examples.

fails: test_cross_entropy_matches_pytorch
hint: divided by N*C
"""


def cross_entropy(input, target, reduction="mean"):
    log_probabilities = input - logsumexp(input, dim=1).unsqueeze(1)
    mask = torch.zeros_like(input).scatter(1, target.unsqueeze(1), 1.0)
    losses = -(mask * log_probabilities)
    if reduction == "none":
        return losses.sum(dim=1)
    return apply_reduction(losses, reduction)
