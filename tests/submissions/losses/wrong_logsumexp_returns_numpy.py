"""Converts the result to a NumPy array at the end.

fails: test_logsumexp_returns_a_plain_tensor_of_the_input_dtype_and_device
hint: a torch.Tensor was expected
"""


def logsumexp(input, dim):
    peak = input.amax(dim=dim, keepdim=True)
    result = (peak + torch.log(torch.exp(input - peak).sum(dim=dim, keepdim=True))).squeeze(dim)
    return result.detach().numpy()
