"""Leaves out the ReLU between the two layers.

fails: test_mlp_forward_matches_the_nn_linear_relu_network
hint: ReLU is missing
"""


def mlp_forward(x, W1, b1, W2, b2):
    return (x @ W1.T + b1) @ W2.T + b2
