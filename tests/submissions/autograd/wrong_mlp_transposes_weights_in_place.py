"""Transposes the weights with the in-place t_(), which changes the caller's W1 and W2.

fails: test_mlp_forward_leaves_its_inputs_unmodified
hint: in place
"""


def mlp_forward(x, W1, b1, W2, b2):
    with torch.no_grad():
        first, second = W1.t_(), W2.t_()
    return torch.relu(x @ first + b1) @ second + b2
