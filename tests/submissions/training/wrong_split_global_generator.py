"""Shuffles with PyTorch's global generator and ignores `seed`: the split changes from call to call.

fails: test_split_indices_gives_the_same_split_for_the_same_seed
hint: global generator
"""


def split_indices(n, fractions, seed):
    sizes = [math.floor(n * fraction) for fraction in fractions]
    for position in range(n - sum(sizes)):
        sizes[position % len(sizes)] += 1
    order = torch.randperm(n).tolist()
    return order[:sizes[0]], order[sizes[0]:sizes[0] + sizes[1]], order[sizes[0] + sizes[1]:]
