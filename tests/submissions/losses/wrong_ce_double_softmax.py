"""Turns the logits into probabilities first and then applies cross-entropy (with its own log-softmax) to them.

fails: test_cross_entropy_matches_pytorch, test_cross_entropy_gradient_matches_pytorch
hint: softmax was applied twice
"""


def cross_entropy(input, target, reduction="mean"):
    probabilities = torch.exp(input - logsumexp(input, dim=1).unsqueeze(1))
    log_probabilities = probabilities - logsumexp(probabilities, dim=1).unsqueeze(1)
    picked = log_probabilities.gather(1, target.unsqueeze(1)).squeeze(1)
    return apply_reduction(-picked, reduction)
