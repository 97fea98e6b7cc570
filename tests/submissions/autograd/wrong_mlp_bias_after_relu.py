"""Adds the first bias after the ReLU instead of before it.

fails: test_mlp_forward_matches_the_nn_linear_relu_network
hint: bias inside
"""


def mlp_forward(x, W1, b1, W2, b2):
    hidden = torch.relu(x @ W1.T) + b1
    return hidden @ W2.T + b2
