"""Handles 'sum' and 'none' and silently treats anything else, 'avg' included, as 'mean'.

fails: test_cross_entropy_rejects_an_unknown_reduction
hint: raises ValueError
"""


def cross_entropy(input, target, reduction="mean"):
    true_logit = input.gather(1, target.unsqueeze(1)).squeeze(1)
    losses = logsumexp(input, dim=1) - true_logit
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    return losses.mean()
