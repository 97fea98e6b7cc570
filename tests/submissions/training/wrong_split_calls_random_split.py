"""Hands the work to torch.utils.data.random_split.

fails: test_split_indices_uses_no_random_split
hint: relies on built-ins that this exercise asks you to write yourself: torch.utils.data.random_split
"""

from torch.utils.data import random_split


def split_indices(n, fractions, seed):
    parts = random_split(range(n), fractions, generator=torch.Generator().manual_seed(seed))
    return tuple(list(part.indices) for part in parts)
