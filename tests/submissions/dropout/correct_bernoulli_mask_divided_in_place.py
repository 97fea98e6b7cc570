"""Correct in another style: the keep mask is torch.bernoulli of a tensor filled with 1 - p (made with
new_full), turned into the scaling factors by dividing the mask in place (the mask is the function's own
tensor, never the input); the layer is a subclass with a class-level typing.Final name for its argument
and builds its mask itself rather than calling the function."""

from typing import Final

import torch
from torch import nn


def _scaled_mask(like, p):
    keep_probability = like.new_full(like.shape, 1.0 - p)
    mask = torch.bernoulli(keep_probability)
    return mask.div_(1.0 - p)


def dropout(input, p=0.5, training=True):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul(0.0)
    return input * _scaled_mask(input, p)


class Dropout(nn.Module):
    ARGUMENT: Final = "p"

    def __init__(self, p=0.5):
        super().__init__()
        if not (0.0 <= p <= 1.0):
            raise ValueError(f"{self.ARGUMENT} must be in [0, 1], got {p}")
        self.p = p

    def forward(self, input):
        if not self.training or self.p == 0.0:
            return input
        if self.p == 1.0:
            return input.mul(0.0)
        return input * _scaled_mask(input, self.p)
