"""Rounds each size to the nearest integer instead of rounding down and handing out the remainder.

fails: test_split_indices_sizes_follow_random_split
hint: rounded to the nearest integer
"""


def split_indices(n, fractions, seed):
    sizes = [round(n * fraction) for fraction in fractions]
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return order[:sizes[0]], order[sizes[0]:sizes[0] + sizes[1]], order[sizes[0] + sizes[1]:sizes[0] + sizes[1] + sizes[2]]
