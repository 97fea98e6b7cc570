"""Takes the log1p(exp(-|z|)) term from input.detach() "to avoid the kink of abs at 0", so its gradient is lost.

fails: test_binary_cross_entropy_with_logits_gradient_matches_pytorch
"""


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    log_term = torch.log1p(torch.exp(-input.detach().abs()))
    return apply_reduction(input.clamp(min=0) - input * target + log_term, reduction)
