"""Fills a result made with torch.zeros(m, n): float32 on the CPU whatever x is.

fails: test_jacobian_returns_a_plain_tensor_of_x_dtype_and_device, test_jacobian_creates_no_tensor_on_another_device
hint: device
"""


def jacobian(f, x):
    point = x.detach().requires_grad_()
    output = f(point)
    result = torch.zeros(output.shape[0], point.shape[0])
    for i in range(output.shape[0]):
        point.grad = None
        output[i].backward(retain_graph=True)
        result[i] = point.grad
    return result
