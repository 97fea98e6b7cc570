"""Copies Adam's default weight_decay=0 into AdamW's signature.

fails: test_adamw_uses_torch_optim_adamw_defaults
hint: weight_decay=0
"""


class AdamW(AdamW):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr, betas, eps, weight_decay)
