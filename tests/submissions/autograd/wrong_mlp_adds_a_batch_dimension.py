"""Turns a single example into a batch of one with unsqueeze(0) and never removes that dimension again.

fails: test_mlp_forward_handles_the_course_3_4_2_network
hint: extra dimension of size 1
"""


def mlp_forward(x, W1, b1, W2, b2):
    if x.dim() == 1:
        x = x.unsqueeze(0)
    return torch.relu(x @ W1.T + b1) @ W2.T + b2
