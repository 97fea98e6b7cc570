"""Sizes train and validation with int(n * fraction) and gives everything left to the test set.

fails: test_split_indices_sizes_follow_random_split
hint: went to the last part
"""


def split_indices(n, fractions, seed):
    n_train, n_val = int(n * fractions[0]), int(n * fractions[1])
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]
