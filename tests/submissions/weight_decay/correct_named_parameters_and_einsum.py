"""Correct in another style: the penalty is a sum of einsum dot products of each flattened tensor with
itself; the SGD step adds the decay to the gradient with add(alpha=) and applies it with add_(alpha=-lr), as
torch.optim lays it out; AdamW is a subclass of an Adam core of the student's own (the decay is a hook run
before each parameter's update), with dataclass state; the groups are chosen while walking
model.named_parameters() (by shape, the names only label them)."""

import math
from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor


def l2_penalty(params, weight_decay):
    total = None
    for p in params:
        flat = p.reshape(-1)
        square_sum = torch.einsum("i,i->", flat, flat)
        total = square_sum if total is None else total + square_sum
    if total is None:
        return torch.tensor(0.0)
    return weight_decay * total


def sgd_step_with_weight_decay(params, lr, weight_decay):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            direction = p.grad.add(p, alpha=weight_decay)
            p.add_(direction, alpha=-lr)


@dataclass
class _State:
    t: int = 0
    m: Optional[Tensor] = None
    v: Optional[Tensor] = None


class _AdamCore:
    def __init__(self, params, lr, betas, eps):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not all(0.0 <= beta < 1.0 for beta in betas):
            raise ValueError(f"Invalid beta parameters: {betas}")
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, tuple(betas), eps
        self.states = [_State() for _ in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def before_update(self, p):
        """Subclasses change the parameter here, before its Adam update."""

    @torch.no_grad()
    def step(self):
        beta1, beta2 = self.betas
        for p, state in zip(self.params, self.states):
            if p.grad is None:
                continue
            if state.m is None:
                state.m, state.v = torch.zeros_like(p), torch.zeros_like(p)
            state.t += 1
            self.before_update(p)
            g = p.grad
            state.m = beta1 * state.m + (1 - beta1) * g
            state.v = beta2 * state.v + (1 - beta2) * g * g
            m_hat = state.m / (1 - beta1 ** state.t)
            v_hat = state.v / (1 - beta2 ** state.t)
            p.sub_(self.lr * m_hat / (torch.sqrt(v_hat) + self.eps))


class AdamW(_AdamCore):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if weight_decay < 0.0 or math.isnan(weight_decay):
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, lr, betas, eps)
        self.weight_decay = weight_decay

    def before_update(self, p):
        p.mul_(1 - self.lr * self.weight_decay)


def decay_parameter_groups(model, weight_decay):
    decayed, kept = {}, {}
    for name, param in model.named_parameters():
        (decayed if param.ndim >= 2 else kept)[name] = param
    return [{"params": list(decayed.values()), "weight_decay": weight_decay},
            {"params": list(kept.values()), "weight_decay": 0.0}]
