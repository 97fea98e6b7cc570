"""Wraps the reduced loss back into a tensor with torch.tensor(loss.item()), losing graph and dtype.

fails: test_cross_entropy_gradient_matches_pytorch, test_cross_entropy_returns_a_plain_tensor_of_the_input_dtype_and_device
hint: .item()
"""


def cross_entropy(input, target, reduction="mean"):
    true_logit = input.gather(1, target.unsqueeze(1)).squeeze(1)
    losses = logsumexp(input, dim=1) - true_logit
    if reduction == "none":
        return losses
    return torch.tensor(apply_reduction(losses, reduction).item())
