"""Correct in another style: local variables named after the built-ins they stand in for (log_softmax,
nll_loss in cross_entropy; softplus_neg, log_sigmoid in the binary cross-entropy), each holding values
computed by hand from exp, log1p and the student's own logsumexp. No built-in loss, softmax or softplus
is called anywhere."""

import torch


def apply_reduction(losses, reduction):
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        return losses.mean()
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', not {reduction!r}")


def mse_loss(input, target, reduction="mean"):
    squared_error = (input - target).square()
    return apply_reduction(squared_error, reduction)


def logsumexp(input, dim):
    peak = input.detach().amax(dim=dim, keepdim=True)
    return (input - peak).exp().sum(dim=dim).log() + peak.squeeze(dim)


def cross_entropy(input, target, reduction="mean"):
    # log p_k = z_k - log sum_j exp(z_j), written out by hand
    log_softmax = input - logsumexp(input, dim=1).unsqueeze(1)
    # the negative log-likelihood of the true class, one per example
    nll_loss = -log_softmax.gather(1, target.unsqueeze(1)).squeeze(1)
    return apply_reduction(nll_loss, reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    # softplus(-z) = log(1 + exp(-z)) = max(-z, 0) + log1p(exp(-|z|)), by hand
    softplus_neg = (-input).clamp(min=0) + torch.log1p(torch.exp(-input.abs()))
    log_sigmoid = -softplus_neg                     # log sigma(z)
    log_one_minus_sigmoid = log_sigmoid - input     # log(1 - sigma(z)) = -z + log sigma(z)
    losses = -(target * log_sigmoid + (1 - target) * log_one_minus_sigmoid)
    return apply_reduction(losses, reduction)
