"""Correct in another style: grad on a clone whose requires_grad is switched on by attribute, returning a
zero gradient when f ignores x; jacobian calls that grad once per output on a closure picking one row
(f is evaluated once per row, as the notebook allows), with the number of outputs read under no_grad;
mlp_forward builds two small dataclass layers that use .mT and matmul, and writes relu as a product with
a mask."""

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor


def grad(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    point = x.detach().clone()
    point.requires_grad = True
    value = f(point)
    value.backward()
    return point.grad if point.grad is not None else torch.zeros_like(x)


def jacobian(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    with torch.no_grad():
        outputs = f(x.detach()).shape[0]

    def component(i: int) -> Callable[[Tensor], Tensor]:
        return lambda point: f(point)[i]

    return torch.stack([grad(component(i), x) for i in range(outputs)])


@dataclass(frozen=True)
class Layer:
    weight: Tensor  # (out, in), as nn.Linear stores it
    bias: Tensor

    def __call__(self, inputs: Tensor) -> Tensor:
        return torch.matmul(inputs, self.weight.mT) + self.bias


def mlp_forward(x, W1, b1, W2, b2):
    first, second = Layer(W1, b1), Layer(W2, b2)
    pre = first(x)
    hidden = pre * (pre > 0).to(pre.dtype)
    return second(hidden)
