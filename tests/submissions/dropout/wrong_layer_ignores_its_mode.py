"""The layer calls dropout without passing self.training on, so it keeps dropping after .eval().

fails: test_dropout_module_is_the_identity_in_eval_mode
hint: self.training
"""


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, input):
        return dropout(input, self.p)
