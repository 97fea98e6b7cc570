"""Computes log(exp(x) / sum(exp(x))) directly, so large logits overflow.

fails: test_cross_entropy_is_stable_for_large_logits
hint: overflow
"""


def cross_entropy(input, target, reduction="mean"):
    exps = torch.exp(input)
    probabilities = exps / exps.sum(dim=1, keepdim=True)
    picked = probabilities.gather(1, target.unsqueeze(1)).squeeze(1)
    return apply_reduction(-torch.log(picked), reduction)
