"""Correct in another style: gradients from torch.autograd.grad on a fresh leaf at every step, the
arithmetic of every update done in float64 and cast back, and Adam written the way torch.optim
arranges it (lerp for m, addcmul for v, the bias corrections folded into a step size and into
sqrt(v) / sqrt(1 - beta2**t))."""

import math

import torch


def gradient_descent(loss_fn, w0, lr, steps):
    w = w0.detach().clone()
    losses = []
    for _ in range(steps):
        leaf = w.requires_grad_(True)
        loss = loss_fn(leaf)
        (grad,) = torch.autograd.grad(loss, leaf)
        losses.append(float(loss))
        w = (leaf.detach().double() - lr * grad.double()).to(w0.dtype)
    return w.detach(), losses


def sgd_step(params, lr):
    for p in params:
        if p.grad is None:
            continue
        with torch.no_grad():
            p.copy_(p.double() - lr * p.grad.double())


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        if not lr >= 0.0:
            raise ValueError("lr must be >= 0")
        if not eps >= 0.0:
            raise ValueError("eps must be >= 0")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError("betas must lie in [0, 1)")
        self.params = [p for p in params]
        self.lr, self.betas, self.eps = lr, tuple(betas), eps
        self.state = {}

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.detach_()
                p.grad.zero_()

    @torch.no_grad()
    def step(self):
        beta1, beta2 = self.betas
        for p in self.params:
            if p.grad is None:
                continue
            state = self.state.get(id(p))
            if state is None:
                state = self.state[id(p)] = {"step": 0, "exp_avg": torch.zeros_like(p),
                                             "exp_avg_sq": torch.zeros_like(p)}
            state["step"] += 1
            t = state["step"]
            state["exp_avg"].lerp_(p.grad, 1 - beta1)
            state["exp_avg_sq"].mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
            step_size = self.lr / (1 - beta1 ** t)
            denom = (state["exp_avg_sq"].sqrt() / math.sqrt(1 - beta2 ** t)).add_(self.eps)
            p.addcdiv_(state["exp_avg"], denom, value=-step_size)
