"""Calls input.squeeze() without a dim to drop stray size-1 dimensions, which also drops a batch of one.

fails: test_cross_entropy_handles_a_batch_of_one
"""


def cross_entropy(input, target, reduction="mean"):
    logits = input.squeeze()
    true_logit = logits.gather(1, target.unsqueeze(1)).squeeze(1)
    return apply_reduction(logsumexp(logits, dim=1) - true_logit, reduction)
