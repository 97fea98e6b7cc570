"""Correct in another style: the descent as a generator of losses, sgd_step over a list of gradients
collected first, and an Adam whose step count lives in a counter object kept for each parameter."""

import itertools

import torch


def _descend(loss_fn, w, lr):
    while True:
        w.grad = None
        loss = loss_fn(w)
        loss.backward()
        with torch.no_grad():
            w.sub_(w.grad, alpha=lr)
        yield loss.item()


def gradient_descent(loss_fn, w0, lr, steps):
    w = w0.clone().detach().requires_grad_()
    losses = list(itertools.islice(_descend(loss_fn, w, lr), steps))
    return w.detach(), losses


def sgd_step(params, lr):
    params = list(params)
    with torch.no_grad():
        for p, g in zip(params, [p.grad for p in params]):
            if g is not None:
                p.add_(-lr * g)


class _Moments:
    def __init__(self, like):
        self.count = itertools.count(1)
        self.m = like.new_zeros(like.shape)
        self.v = like.new_zeros(like.shape)


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        if lr < 0 or eps < 0 or any(not 0 <= b < 1 for b in betas):
            raise ValueError(f"invalid Adam hyperparameters lr={lr}, betas={betas}, eps={eps}")
        self.params = tuple(params)
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.moments = {}

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        with torch.no_grad():
            for p in filter(lambda p: p.grad is not None, self.params):
                state = self.moments.setdefault(id(p), _Moments(p))
                t = next(state.count)
                state.m.mul_(self.b1).add_((1 - self.b1) * p.grad)
                state.v.mul_(self.b2).add_((1 - self.b2) * p.grad * p.grad)
                p.sub_(self.lr * (state.m / (1 - self.b1 ** t)) / ((state.v / (1 - self.b2 ** t)).sqrt() + self.eps))
