"""The layer calls dropout(input) with its default p = 0.5, whatever p it was built with.

fails: test_dropout_module_drops_units_in_train_mode
hint: self.p
"""


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, input):
        return dropout(input, training=self.training)
