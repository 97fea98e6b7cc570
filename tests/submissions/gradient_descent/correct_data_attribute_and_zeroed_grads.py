"""Correct in another style: updates through .data, gradients zeroed in place rather than set to
None, Adam's state kept in parallel lists of dicts and computed in float64."""

import torch


def gradient_descent(loss_fn, w0, lr, steps):
    w = torch.zeros_like(w0, requires_grad=True)
    w.data.copy_(w0)
    losses = []
    step = 0
    while step < steps:
        if w.grad is not None:
            w.grad.zero_()
        loss = loss_fn(w)
        loss.backward()
        losses.append(loss.detach().item())
        w.data -= lr * w.grad.data
        step += 1
    return w.detach().clone(), losses


def sgd_step(params, lr):
    for p in params:
        if p.grad is not None:
            p.data.add_(p.grad.data, alpha=-lr)


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        for name, value, ok in (("lr", lr, lr >= 0), ("eps", eps, eps >= 0),
                                ("beta1", betas[0], 0 <= betas[0] < 1), ("beta2", betas[1], 0 <= betas[1] < 1)):
            if not ok:
                raise ValueError(f"invalid {name}: {value}")
        self.params = list(params)
        self.hyper = {"lr": lr, "b1": betas[0], "b2": betas[1], "eps": eps}
        self.states = [{} for _ in self.params]

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()

    def step(self):
        h = self.hyper
        for p, state in zip(self.params, self.states):
            if p.grad is None:
                continue
            g = p.grad.detach().double()
            if not state:
                state.update(t=0, m=torch.zeros_like(g), v=torch.zeros_like(g))
            state["t"] += 1
            state["m"] = h["b1"] * state["m"] + (1 - h["b1"]) * g
            state["v"] = h["b2"] * state["v"] + (1 - h["b2"]) * g.square()
            m_hat = state["m"] / (1 - h["b1"] ** state["t"])
            v_hat = state["v"] / (1 - h["b2"] ** state["t"])
            update = h["lr"] * m_hat / (torch.sqrt(v_hat) + h["eps"])
            with torch.no_grad():
                p.sub_(update.to(p.dtype))
