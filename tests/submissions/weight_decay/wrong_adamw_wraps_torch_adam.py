"""Decays the weights itself but lets torch.optim.Adam take the Adam step.

fails: test_adamw_uses_no_torch_optim
hint: torch.optim
"""


class AdamW:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if weight_decay < 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        self.params = list(params)
        self.lr, self.weight_decay = lr, weight_decay
        self.adam = torch.optim.Adam(self.params, lr=lr, betas=betas, eps=eps)

    def zero_grad(self):
        self.adam.zero_grad()

    def step(self):
        with torch.no_grad():
            for p in self.params:
                if p.grad is not None:
                    p.mul_(1 - self.lr * self.weight_decay)
        self.adam.step()
