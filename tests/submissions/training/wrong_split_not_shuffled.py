"""Cuts range(n) in order, without shuffling: every seed gives the same split.

fails: test_split_indices_gives_different_splits_for_different_seeds
hint: never shuffled
"""


def split_indices(n, fractions, seed):
    sizes = [math.floor(n * fraction) for fraction in fractions]
    for position in range(n - sum(sizes)):
        sizes[position % len(sizes)] += 1
    order = list(range(n))
    return order[:sizes[0]], order[sizes[0]:sizes[0] + sizes[1]], order[sizes[0] + sizes[1]:]
