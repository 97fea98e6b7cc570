"""Returns the reduced loss as a Python number with .item() (and only the 'none' losses as a tensor).

fails: test_mse_loss_returns_a_plain_tensor_of_the_input_dtype_and_device, test_mse_loss_matches_pytorch
hint: a torch.Tensor was expected
"""


def mse_loss(input, target, reduction="mean"):
    losses = (input - target) ** 2
    if reduction == "none":
        return losses
    return apply_reduction(losses, reduction).item()
