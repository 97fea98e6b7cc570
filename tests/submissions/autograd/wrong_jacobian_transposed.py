"""Stacks the rows' gradients as columns (dim=1), giving the (n, m) transpose.

fails: test_jacobian_matches_torch_autograd_functional_jacobian, test_jacobian_of_a_linear_map_is_its_m_by_n_matrix
hint: transposed
"""


def jacobian(f, x):
    point = x.detach().requires_grad_()
    output = f(point)
    rows = []
    for i in range(output.shape[0]):
        point.grad = None
        output[i].backward(retain_graph=True)
        rows.append(point.grad)
    return torch.stack(rows, dim=1)
