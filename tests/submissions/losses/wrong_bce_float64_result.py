"""Computes in float64 "for accuracy" and forgets to convert the result back to the input's dtype.

fails: test_binary_cross_entropy_with_logits_returns_a_plain_tensor_of_the_input_dtype_and_device
hint: dtype
"""


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    z, y = input.double(), target.double()
    losses = z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z.abs()))
    return apply_reduction(losses, reduction)
