"""Subtracts each row's maximum (so nothing overflows), but then forms the softmax probability of the target and
takes its log: for large logits a target far below the maximum has a probability that underflows to 0, and
log(0) = -inf makes the loss inf.

fails: test_cross_entropy_is_stable_for_large_logits
hint: underflow
"""


def cross_entropy(input, target, reduction="mean"):
    shifted = input - input.amax(dim=1, keepdim=True).detach()
    exps = torch.exp(shifted)
    probabilities = exps / exps.sum(dim=1, keepdim=True)
    picked = probabilities.gather(1, target.unsqueeze(1)).squeeze(1)
    return apply_reduction(-torch.log(picked), reduction)
