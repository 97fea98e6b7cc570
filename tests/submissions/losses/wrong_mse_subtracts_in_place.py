"""Saves memory with input.sub_(target), which overwrites the caller's input.

fails: test_mse_loss_leaves_its_inputs_unmodified
hint: in place
"""


def mse_loss(input, target, reduction="mean"):
    difference = input.sub_(target)
    return apply_reduction(difference * difference, reduction)
