"""Chains in-place operations (abs_, neg_, exp_, log1p_) on the input to save memory.

fails: test_binary_cross_entropy_with_logits_leaves_its_inputs_unmodified
hint: in place
"""


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    linear = input.clamp(min=0) - input * target
    softplus_part = input.abs_().neg_().exp_().log1p_()
    return apply_reduction(linear + softplus_part, reduction)
