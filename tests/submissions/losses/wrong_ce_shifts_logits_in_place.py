"""Stabilises the logits with input -= max, which shifts the caller's logits in place.

fails: test_cross_entropy_leaves_its_inputs_unmodified
hint: in place
"""


def cross_entropy(input, target, reduction="mean"):
    input -= input.amax(dim=1, keepdim=True).detach()
    true_logit = input.gather(1, target.unsqueeze(1)).squeeze(1)
    return apply_reduction(torch.log(torch.exp(input).sum(dim=1)) - true_logit, reduction)
