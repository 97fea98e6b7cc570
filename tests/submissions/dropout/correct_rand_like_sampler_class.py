"""Correct in another style: a small sampler class draws torch.rand_like(x) >= p (kept with probability
1 - p) and knows its own scale; the layer draws with torch.rand(shape, dtype=, device=) taken from the input,
and both return input.clone() when nothing is dropped (a copy is as good as the input itself)."""

import dataclasses

import torch
from torch import nn


@dataclasses.dataclass(frozen=True)
class KeepMask:
    p: float

    def __post_init__(self):
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {self.p}")

    @property
    def scale(self):
        return 1.0 / (1.0 - self.p)

    def __call__(self, x):
        return torch.rand_like(x) >= self.p


def dropout(input, p=0.5, training=True):
    sampler = KeepMask(p)
    if not training or p == 0:
        return input.clone()
    if p == 1:
        return 0.0 * input
    return torch.where(sampler(input), input / (1.0 - p), torch.zeros_like(input))


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.sampler = KeepMask(p)
        self.p = p

    def forward(self, input):
        if not self.training or self.p == 0:
            return input.clone()
        if self.p == 1:
            return input * 0.0
        uniform = torch.rand(input.shape, dtype=input.dtype, device=input.device)
        return input * (uniform >= self.p) / (1.0 - self.p)
