"""Draws a fresh permutation for each part: the sizes are right but the parts overlap.

fails: test_split_indices_parts_are_disjoint_and_cover_every_index
hint: overlap
"""


def split_indices(n, fractions, seed):
    sizes = [math.floor(n * fraction) for fraction in fractions]
    for position in range(n - sum(sizes)):
        sizes[position % len(sizes)] += 1
    generator = torch.Generator().manual_seed(seed)
    return tuple(torch.randperm(n, generator=generator)[:size].tolist() for size in sizes)
