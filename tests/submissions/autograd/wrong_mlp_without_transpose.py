"""Multiplies by W1 and W2 as given, x @ W + b, forgetting that nn.Linear stores weights as (out, in).

fails: test_mlp_forward_matches_the_nn_linear_relu_network, test_mlp_forward_handles_the_course_3_4_2_network
hint: x @ W.T + b
"""


def mlp_forward(x, W1, b1, W2, b2):
    return torch.relu(x @ W1 + b1) @ W2 + b2
