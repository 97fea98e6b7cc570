"""dropout draws its uniform numbers with torch.rand(input.shape) on the CPU and moves the mask with
.to(input.device): no device error anywhere, but the mask is not drawn on the input's device.

fails: test_dropout_draws_its_mask_on_the_input_device
hint: device
"""


def dropout(input, p=0.5, training=True):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = (torch.rand(input.shape) >= p).to(input.device)
    return input * keep / (1.0 - p)
