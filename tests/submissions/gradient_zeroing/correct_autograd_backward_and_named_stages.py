"""Correct in another style: zero_grad keeps a typing-annotated helper per parameter and zeroes with
copy_ from zeros_like (in place); train_step runs under enable_grad and returns loss.detach().item();
accumulate_gradients clears through model.zero_grad(set_to_none=True), builds every batch's weighted loss
and sends them all back in one torch.autograd.backward call with grad_tensors, which adds each batch's
gradient into .grad."""

from typing import Iterable

import torch
from torch import Tensor


def _clear(param: Tensor, set_to_none: bool) -> None:
    if param.grad is None:
        return
    if set_to_none:
        param.grad = None
    else:
        param.grad.copy_(torch.zeros_like(param.grad))


def zero_grad(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    for param in params:
        _clear(param, set_to_none)


def train_step(model, loss_fn, optimizer, inputs, targets) -> float:
    with torch.enable_grad():
        optimizer.zero_grad()
        predictions = model(inputs)
        loss = loss_fn(predictions, targets)
        loss.backward()
    optimizer.step()
    return loss.detach().item()


def accumulate_gradients(model, loss_fn, batches) -> None:
    model.zero_grad(set_to_none=True)
    sizes = [inputs.shape[0] for inputs, _ in batches]
    total = sum(sizes)
    losses = [loss_fn(model(inputs), targets) for inputs, targets in batches]
    weights = [torch.tensor(size / total, dtype=loss.dtype, device=loss.device) for size, loss in zip(sizes, losses)]
    torch.autograd.backward(losses, grad_tensors=weights)
