"""Correct in another style: advanced indexing with arange on the input's device, relu, and explicit divisions."""

import torch


def check_reduction(reduction):
    if reduction not in {"mean", "sum", "none"}:
        raise ValueError("reduction must be 'mean', 'sum' or 'none'")


def reduce_losses(losses, reduction):
    check_reduction(reduction)
    if reduction == "sum":
        return torch.sum(losses)
    if reduction == "mean":
        return torch.sum(losses) / losses.numel()
    return losses


def mse_loss(input, target, reduction="mean"):
    check_reduction(reduction)
    residual = input.sub(target)
    return reduce_losses(residual.mul(residual), reduction)


def logsumexp(input, dim):
    peak = torch.amax(input, dim, keepdim=True).detach()
    return torch.log(torch.exp(input - peak).sum(dim)) + peak.squeeze(dim)


def cross_entropy(input, target, reduction="mean"):
    check_reduction(reduction)
    rows = torch.arange(input.shape[0], device=input.device)
    return reduce_losses(logsumexp(input, 1) - input[rows, target], reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    check_reduction(reduction)
    losses = torch.relu(input) - target * input + torch.log1p(torch.exp(-torch.abs(input)))
    return reduce_losses(losses, reduction)
