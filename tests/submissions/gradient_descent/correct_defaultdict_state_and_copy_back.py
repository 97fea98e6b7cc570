"""Correct in another style: gradient_descent loops over itertools.repeat, zeroes w.grad in place after each
update and writes the new value back with copy_; sgd_step computes each new value functionally and copies it
into the parameter; Adam keeps its state in a collections.defaultdict keyed by parameter position, rebinds
m and v functionally, and uses torch.sqrt and math.sqrt for the denominator."""

import collections
import itertools
import math

import torch


def gradient_descent(loss_fn, w0, lr, steps):
    w = torch.empty_like(w0).copy_(w0.detach()).requires_grad_(True)
    history = []
    for _ in itertools.repeat(None, steps):
        current = loss_fn(w)
        history.append(current.item())
        current.backward()
        with torch.no_grad():
            w.copy_(w - lr * w.grad)
        w.grad.zero_()
    return w.detach(), history


def sgd_step(params, lr):
    with torch.no_grad():
        for p in (q for q in params if q.grad is not None):
            p.copy_(p - lr * p.grad)


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        beta1, beta2 = betas
        problems = [(lr < 0, f"lr={lr}"), (eps < 0, f"eps={eps}"),
                    (not 0 <= beta1 < 1, f"beta1={beta1}"), (not 0 <= beta2 < 1, f"beta2={beta2}")]
        for bad, text in problems:
            if bad:
                raise ValueError(f"invalid Adam hyperparameter {text}")
        self.params = list(params)
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.state = collections.defaultdict(dict)

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad = None

    def step(self):
        with torch.no_grad():
            for index, p in enumerate(self.params):
                g = p.grad
                if g is None:
                    continue
                state = self.state[index]
                if not state:
                    state.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["t"] += 1
                t = state["t"]
                state["m"] = self.beta1 * state["m"] + (1 - self.beta1) * g
                state["v"] = self.beta2 * state["v"] + (1 - self.beta2) * torch.square(g)
                first = state["m"] / (1 - self.beta1 ** t)
                scale = math.sqrt(1 - self.beta2 ** t)
                p.sub_(self.lr * first / (torch.sqrt(state["v"]) / scale + self.eps))
