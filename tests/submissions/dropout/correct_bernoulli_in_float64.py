"""Correct in another style: a Bernoulli mask, the arithmetic done in float64 and cast back."""

import torch
from torch import nn


def dropout(input, p=0.5, training=True):
    if p < 0 or p > 1:
        raise ValueError("p must lie in [0, 1]")
    if not training:
        return input
    wide = input.double()
    if p == 1:
        return (wide * 0).to(input.dtype)
    keep_probability = torch.full_like(wide, 1 - p)
    mask = torch.bernoulli(keep_probability)
    return (wide * mask / (1 - p)).to(input.dtype)


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError("p must lie in [0, 1]")
        self.p = p

    def forward(self, x):
        return dropout(x, p=self.p, training=self.training)

    def extra_repr(self):
        return f"p={self.p}"
