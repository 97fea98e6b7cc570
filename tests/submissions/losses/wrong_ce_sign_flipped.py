"""Returns log p(target) instead of -log p(target).

fails: test_cross_entropy_matches_pytorch, test_cross_entropy_gradient_matches_pytorch
hint: the sign is flipped
"""


def cross_entropy(input, target, reduction="mean"):
    true_logit = input.gather(1, target.unsqueeze(1)).squeeze(1)
    return apply_reduction(true_logit - logsumexp(input, dim=1), reduction)
