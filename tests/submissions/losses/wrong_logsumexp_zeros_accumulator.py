"""Accumulates the exponentials into torch.zeros(shape), created on the default device.

fails: test_logsumexp_creates_no_tensor_on_another_device
hint: device
"""


def logsumexp(input, dim):
    peak = input.amax(dim=dim, keepdim=True).detach()
    total = torch.zeros(peak.shape, dtype=input.dtype)
    total = total + torch.exp(input - peak).sum(dim=dim, keepdim=True)
    return (peak + torch.log(total)).squeeze(dim)
