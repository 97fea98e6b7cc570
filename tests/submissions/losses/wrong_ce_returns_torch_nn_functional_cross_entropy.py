"""Simply returns torch.nn.functional.cross_entropy(...), spelt out in full (no import of F).

fails: test_cross_entropy_uses_no_forbidden_builtin
hint: relies on built-ins
"""


def cross_entropy(input, target, reduction="mean"):
    return torch.nn.functional.cross_entropy(input, target, reduction=reduction)
