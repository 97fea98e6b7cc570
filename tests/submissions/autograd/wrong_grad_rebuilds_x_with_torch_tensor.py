"""Builds a fresh leaf with torch.tensor(x.tolist(), requires_grad=True), which is float32 on the CPU whatever x was.

fails: test_grad_returns_a_plain_tensor_of_x_dtype_and_device
hint: torch.tensor(x.tolist())
"""


def grad(f, x):
    leaf = torch.tensor(x.tolist(), requires_grad=True)
    f(leaf).backward()
    return leaf.grad
