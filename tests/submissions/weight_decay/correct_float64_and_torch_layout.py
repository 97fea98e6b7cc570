"""Correct in another style: the penalty through torch.linalg.vector_norm, computed in float64 and cast
back; the SGD step written as a shrink then a gradient step; AdamW laid out as torch.optim lays it out
(lerp, addcmul, addcdiv, bias corrections folded into the step size) with its state in float64."""

import math

import torch


def l2_penalty(params, weight_decay):
    params = list(params)
    total = sum(torch.linalg.vector_norm(p.double()) ** 2 for p in params)
    return (weight_decay * total).to(params[0].dtype)


def sgd_step_with_weight_decay(params, lr, weight_decay):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p.copy_((p.double() * (1 - lr * weight_decay) - lr * p.grad.double()).to(p.dtype))


class AdamW:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        checks = {"lr": lr >= 0, "eps": eps >= 0, "weight_decay": weight_decay >= 0,
                  "betas": all(0 <= beta < 1 for beta in betas)}
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid AdamW arguments: {', '.join(bad)}")
        self.params = list(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, tuple(betas), eps, weight_decay
        self.state = {}

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        beta1, beta2 = self.betas
        for p in self.params:
            if p.grad is None:
                continue
            state = self.state.setdefault(id(p), {"step": 0, "exp_avg": torch.zeros_like(p, dtype=torch.float64),
                                                  "exp_avg_sq": torch.zeros_like(p, dtype=torch.float64)})
            state["step"] += 1
            t = state["step"]
            grad = p.grad.double()
            value = p.double() * (1 - self.lr * self.weight_decay)
            state["exp_avg"].lerp_(grad, 1 - beta1)
            state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = (state["exp_avg_sq"].sqrt() / math.sqrt(1 - beta2 ** t)).add_(self.eps)
            value.addcdiv_(state["exp_avg"], denom, value=-self.lr / (1 - beta1 ** t))
            p.copy_(value)


def decay_parameter_groups(model, weight_decay):
    named = list(model.named_parameters())
    return [{"params": [p for _, p in named if p.dim() > 1], "weight_decay": weight_decay},
            {"params": [p for _, p in named if p.dim() <= 1], "weight_decay": 0.0}]
