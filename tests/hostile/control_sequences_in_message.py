"""mse_loss raises an exception whose message clears the terminal and draws a fake total; none of its
control characters reaches the report.

score: 33
"""


def mse_loss(input, target, reduction="mean"):
    raise ValueError("\x1b[2J\x1b[H\r  total                                     42.00 /  42.00\x1b[8m\u202e")
