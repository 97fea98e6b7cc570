import torch

REDUCTIONS = ("mean", "sum", "none")


def apply_reduction(losses, reduction):
    """Apply `reduction` to a tensor of per-element losses."""
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(f"reduction must be one of {REDUCTIONS}, not {reduction!r}")


def mse_loss(input, target, reduction="mean"):
    """Mean squared error between `input` and `target`."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, not {reduction!r}")
    return apply_reduction((input - target) ** 2, reduction)


def logsumexp(input, dim):
    """log(sum(exp(input))) along `dim`, without overflow."""
    peak = input.amax(dim=dim, keepdim=True).detach()
    peak = torch.where(torch.isfinite(peak), peak, torch.zeros_like(peak))
    return (peak + torch.log(torch.exp(input - peak).sum(dim=dim, keepdim=True))).squeeze(dim)


def cross_entropy(input, target, reduction="mean"):
    """Cross-entropy of logits `input` (N, C) against class indices `target` (N,)."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, not {reduction!r}")
    true_logit = input.gather(1, target.unsqueeze(1)).squeeze(1)
    return apply_reduction(logsumexp(input, dim=1) - true_logit, reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """Binary cross-entropy of logits `input` against targets in [0, 1], without overflow."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, not {reduction!r}")
    losses = input.clamp(min=0) - input * target + torch.log1p(torch.exp(-input.abs()))
    return apply_reduction(losses, reduction)
