"""Applies mask and scale in place under torch.no_grad(): the values are right, the gradient ignores them.

fails: test_dropout_gradient_is_the_mask_scaled_by_one_over_one_minus_p
hint: outside autograd
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    output = input.clone()
    with torch.no_grad():
        output.mul_((torch.rand_like(input) >= p) / (1.0 - p))
    return output
