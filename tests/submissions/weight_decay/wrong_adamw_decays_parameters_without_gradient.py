"""Decays every parameter at every step, also while it has no gradient.

fails: test_adamw_skips_parameters_without_a_gradient
hint: decayed anyway
"""


class AdamW(AdamW):
    def step(self):
        with torch.no_grad():
            for p in self.params:
                if p.grad is None:
                    p.mul_(1 - self.lr * self.weight_decay)
        super().step()
