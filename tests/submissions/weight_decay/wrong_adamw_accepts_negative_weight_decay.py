"""Checks lr, eps and betas, but not weight_decay.

fails: test_adamw_rejects_invalid_hyperparameters
hint: ValueError
"""


class AdamW(AdamW):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, 0.0)
        self.weight_decay = weight_decay
