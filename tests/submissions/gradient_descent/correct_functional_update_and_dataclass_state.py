"""Correct in another style: gradient_descent rebuilds w as a new leaf after every update (a functional
update, w = (w - lr * grad).detach().requires_grad_()), so no gradient ever needs clearing; sgd_step uses
add_ with alpha=-lr; Adam keeps one dataclass of state per parameter, updates m and v in place with mul_,
add_ and addcmul_, takes its bias corrections with math, and validates its arguments in a helper."""

import math
from dataclasses import dataclass, field
from typing import Iterable, Optional

import torch
from torch import Tensor


def gradient_descent(loss_fn, w0, lr, steps):
    w = w0.detach().clone().requires_grad_()
    losses: list[float] = []
    for _ in range(steps):
        loss = loss_fn(w)
        losses.append(float(loss))
        loss.backward()
        w = (w - lr * w.grad).detach().requires_grad_()
    return w.detach(), losses


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p.add_(p.grad, alpha=-lr)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass
class _Moments:
    step: int = 0
    m: Optional[Tensor] = field(default=None, repr=False)
    v: Optional[Tensor] = field(default=None, repr=False)


class Adam:
    def __init__(self, params: Iterable[Tensor], lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        _require(lr >= 0.0, f"Invalid learning rate: {lr}")
        _require(eps >= 0.0, f"Invalid epsilon value: {eps}")
        for index, beta in enumerate(betas):
            _require(0.0 <= beta < 1.0, f"Invalid beta parameter at index {index}: {beta}")
        self.params = list(params)
        self.lr, self.eps = lr, eps
        self.beta1, self.beta2 = betas
        self.moments = [_Moments() for _ in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        for p, state in zip(self.params, self.moments):
            if p.grad is None:
                continue
            if state.m is None:
                state.m, state.v = torch.zeros_like(p), torch.zeros_like(p)
            state.step += 1
            g = p.grad
            state.m.mul_(self.beta1).add_(g, alpha=1 - self.beta1)
            state.v.mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)
            m_hat = state.m / (1 - math.pow(self.beta1, state.step))
            v_hat = state.v / (1 - math.pow(self.beta2, state.step))
            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))
