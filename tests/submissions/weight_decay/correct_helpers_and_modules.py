"""Correct in another style: small helper functions shared by the step and the class, the penalty
from torch.stack of per-tensor sums, and the groups chosen by walking the modules."""

import torch


def _squares(params):
    return torch.stack([(p * p).sum() for p in params])


def l2_penalty(params, weight_decay):
    return _squares(list(params)).sum() * weight_decay


def _with_grad(params):
    return [p for p in params if p.grad is not None]


def sgd_step_with_weight_decay(params, lr, weight_decay):
    with torch.no_grad():
        for p in _with_grad(params):
            p.add_(p.grad + weight_decay * p, alpha=-lr)


def _adam_direction(m, v, t, betas, eps):
    m_hat = m / (1 - betas[0] ** t)
    v_hat = v / (1 - betas[1] ** t)
    return m_hat / (torch.sqrt(v_hat) + eps)


class AdamW:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        for value in (lr, eps, weight_decay):
            if value < 0:
                raise ValueError(f"invalid value {value}: must not be negative")
        for beta in betas:
            if beta < 0 or beta >= 1:
                raise ValueError(f"invalid beta {beta}")
        self.params = list(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.counts = [0 for _ in self.params]
        self.moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            self.counts[i] += 1
            m, v = self.moments[i]
            m = self.betas[0] * m + (1 - self.betas[0]) * p.grad
            v = self.betas[1] * v + (1 - self.betas[1]) * p.grad ** 2
            self.moments[i] = (m, v)
            p.mul_(1 - self.lr * self.weight_decay)
            p.sub_(self.lr * _adam_direction(m, v, self.counts[i], self.betas, self.eps))


def decay_parameter_groups(model, weight_decay):
    decayed, not_decayed = [], []
    for module in model.modules():
        for p in module.parameters(recurse=False):
            (decayed if p.ndim >= 2 else not_decayed).append(p)
    return [dict(params=decayed, weight_decay=weight_decay), dict(params=not_decayed, weight_decay=0.0)]
