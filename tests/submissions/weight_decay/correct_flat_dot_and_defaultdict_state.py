"""Correct in another style: the penalty is torch.dot of all the parameters concatenated into one vector;
the SGD step computes the new value functionally and copies it into the parameter; AdamW keeps its state in a
collections.defaultdict keyed by position, updates m and v in place with lerp_ and mul_/addcmul_ and divides
with addcdiv_; the groups are sorted into a defaultdict(list) keyed by whether a parameter is decayed, in one
pass over model.parameters()."""

import collections

import torch


def l2_penalty(params, weight_decay):
    parts = [p.reshape(-1) for p in params]
    if not parts:
        return torch.zeros(()) * weight_decay
    flat = torch.cat(parts)
    return weight_decay * torch.dot(flat, flat)


def sgd_step_with_weight_decay(params, lr, weight_decay):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.copy_(p - lr * (p.grad + weight_decay * p))


class AdamW:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        checks = {"lr": lr >= 0, "eps": eps >= 0, "weight_decay": weight_decay >= 0,
                  "betas[0]": 0 <= betas[0] < 1, "betas[1]": 0 <= betas[1] < 1}
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid AdamW argument(s): {', '.join(bad)}")
        self.params = list(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.state = collections.defaultdict(lambda: {"step": 0})

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        beta1, beta2 = self.betas
        with torch.no_grad():
            for index, p in enumerate(self.params):
                if p.grad is None:
                    continue
                state = self.state[index]
                if "m" not in state:
                    state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                p.mul_(1 - self.lr * self.weight_decay)
                state["m"].lerp_(p.grad, 1 - beta1)
                state["v"].mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                denominator = (state["v"] / (1 - beta2 ** t)).sqrt_().add_(self.eps)
                p.addcdiv_(state["m"], denominator, value=-self.lr / (1 - beta1 ** t))


def decay_parameter_groups(model, weight_decay):
    groups = collections.defaultdict(list)
    for param in model.parameters():
        groups[param.dim() >= 2].append(param)
    return [{"params": groups[True], "weight_decay": weight_decay},
            {"params": groups[False], "weight_decay": 0.0}]
