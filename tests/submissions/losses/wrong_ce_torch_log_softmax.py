"""Uses torch.log_softmax for the log-probabilities and picks the target's entry.

fails: test_cross_entropy_uses_no_forbidden_builtin
hint: relies on built-ins
"""


def cross_entropy(input, target, reduction="mean"):
    log_probabilities = torch.log_softmax(input, dim=1)
    return apply_reduction(-log_probabilities.gather(1, target.unsqueeze(1)).squeeze(1), reduction)
