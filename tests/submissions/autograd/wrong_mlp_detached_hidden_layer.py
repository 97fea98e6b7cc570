"""Takes the hidden activations from .data, which cuts the first layer out of the graph.

fails: test_mlp_forward_gradients_match_the_nn_linear_relu_network
hint: no gradient reached
"""


def mlp_forward(x, W1, b1, W2, b2):
    hidden = torch.relu((x @ W1.T + b1).data)
    return hidden @ W2.T + b2
