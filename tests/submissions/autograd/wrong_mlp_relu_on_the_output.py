"""Applies a ReLU after the second layer too.

fails: test_mlp_forward_matches_the_nn_linear_relu_network
hint: applied to the output
"""


def mlp_forward(x, W1, b1, W2, b2):
    hidden = torch.relu(x @ W1.T + b1)
    return torch.relu(hidden @ W2.T + b2)
