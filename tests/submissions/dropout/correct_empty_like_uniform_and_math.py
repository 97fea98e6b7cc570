"""Correct in another style: the uniform numbers come from torch.empty_like(input).uniform_(), a unit is kept
when its number is at least p; the edge cases are tested with math, p = 1 multiplies by a zero tensor so the
gradient is an explicit zero, and the layer validates p in a shared helper and shows it in extra_repr."""

import math

import torch
from torch import nn


def _checked(p):
    p = float(p)
    if math.isnan(p) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


def dropout(input, p=0.5, training=True):
    p = _checked(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * torch.zeros_like(input)
    uniform = torch.empty_like(input).uniform_()  # U[0, 1), on input's device, in input's dtype
    keep = (uniform >= p).to(input.dtype)
    return input * keep / (1.0 - p)


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = _checked(p)

    def forward(self, input):
        return dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
