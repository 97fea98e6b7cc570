"""Correct in another style: the penalty as one generator expression started from 0, the SGD step
through .data, AdamW with per-parameter state dicts keyed by the tensors and a zero_grad that zeroes in
place, and the groups built in two passes over model.parameters()."""

import torch


def l2_penalty(params, weight_decay):
    return weight_decay * sum(p.pow(2).sum() for p in params)


def sgd_step_with_weight_decay(params, lr, weight_decay):
    for p in params:
        if p.grad is not None:
            step = p.grad.data + weight_decay * p.data
            p.data.add_(step, alpha=-lr)


class AdamW:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError("lr, eps and weight_decay must not be negative")
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError("betas must lie in [0, 1)")
        self.params = list(params)
        self.lr, self.eps, self.weight_decay = lr, eps, weight_decay
        self.b1, self.b2 = betas
        self.state = {}

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()

    def step(self):
        with torch.no_grad():
            for p in self.params:
                if p.grad is None:
                    continue
                if p not in self.state:
                    self.state[p] = {"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)}
                s = self.state[p]
                s["t"] += 1
                p.sub_(self.lr * self.weight_decay * p)
                s["m"].mul_(self.b1).add_(p.grad, alpha=1 - self.b1)
                s["v"].mul_(self.b2).add_(p.grad.square(), alpha=1 - self.b2)
                m_hat = s["m"] / (1 - self.b1 ** s["t"])
                v_hat = s["v"] / (1 - self.b2 ** s["t"])
                p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))


def decay_parameter_groups(model, weight_decay):
    decayed = {"params": [p for p in model.parameters() if len(p.shape) >= 2], "weight_decay": weight_decay}
    rest = {"params": [p for p in model.parameters() if len(p.shape) < 2], "weight_decay": 0.0}
    return [decayed, rest]
