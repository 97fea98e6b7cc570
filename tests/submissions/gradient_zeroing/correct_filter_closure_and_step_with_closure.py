"""Correct in another style: zero_grad walks filter() over the parameters that have a gradient and zeroes
with an index assignment (grad[...] = 0, in place); train_step hands a closure to optimizer.step(closure), as
torch.optim allows, and returns the loss the closure computed; accumulate_gradients weights each batch by a
fraction computed with math.fsum over map(len, ...)."""

import math

import torch


def zero_grad(params, set_to_none=True):
    for param in filter(lambda candidate: candidate.grad is not None, params):
        if set_to_none:
            param.grad = None
        else:
            param.grad[...] = 0


def train_step(model, loss_fn, optimizer, inputs, targets):
    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    return loss.item()


def accumulate_gradients(model, loss_fn, batches):
    zero_grad(model.parameters())
    total = math.fsum(map(len, (targets for _, targets in batches)))
    for inputs, targets in batches:
        weight = len(targets) / total
        (weight * loss_fn(model(inputs), targets)).backward()
