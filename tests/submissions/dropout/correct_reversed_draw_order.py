"""Correct in another style: the uniform numbers are drawn flat, used in reverse order, and scaled by a
precomputed factor; bernoulli_ on a new tensor of the input's kind for the layer."""

import torch
from torch import nn


def dropout(input, p=0.5, training=True):
    if p != p or not 0.0 <= p <= 1.0:
        raise ValueError("dropout probability has to be between 0 and 1")
    if not training or p == 0.0:
        return input
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    draws = torch.rand(input.numel(), device=input.device).flip(0).reshape(input.shape)
    return input * (draws >= p).to(input.dtype) * scale


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if p != p or not 0.0 <= p <= 1.0:
            raise ValueError("dropout probability has to be between 0 and 1")
        self.p = float(p)

    def forward(self, input):
        if not self.training or self.p == 0.0:
            return input
        keep = input.new_empty(input.shape).bernoulli_(1.0 - self.p)
        return input * keep * (0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p))
