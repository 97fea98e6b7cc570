"""Picks a formula per sign with torch.where but swaps the branches: the form meant for z < 0 (log1p(exp(z)))
is used where z >= 0 and the other way round. Both forms are the same function, so small logits give the right
values and gradients, but large ones overflow exp() (the value is inf, not a log of a sigmoid).

fails: test_binary_cross_entropy_with_logits_is_stable_for_large_logits
hint: the branches are swapped
"""


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    for_positive = input - input * target + torch.log1p(torch.exp(-input))
    for_negative = -input * target + torch.log1p(torch.exp(input))
    return apply_reduction(torch.where(input >= 0, for_negative, for_positive), reduction)
