"""The layer accepts any p when built; the error only comes at the first forward pass.

fails: test_dropout_module_rejects_p_outside_zero_one_when_built
hint: check p in __init__
"""


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, input):
        return dropout(input, self.p, self.training)
