"""Accepts any hyperparameters without checking them.

fails: test_adam_rejects_invalid_hyperparameters
hint: ValueError
"""


class Adam(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params)
        self.lr, self.eps = lr, eps
        self.beta1, self.beta2 = betas
