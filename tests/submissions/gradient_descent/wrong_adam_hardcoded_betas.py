"""Ignores the betas and eps passed in and always uses the defaults.

fails: test_adam_trains_a_model_like_torch_optim_adam
hint: passed to the constructor
"""


class Adam(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
