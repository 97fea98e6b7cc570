"""Takes the Adam step first and decays the updated parameter afterwards.

fails: test_adamw_matches_torch_optim_adamw_over_120_steps
hint: after the Adam step
"""


class AdamW(AdamW):
    def step(self):
        decay, self.weight_decay = self.weight_decay, 0.0
        try:
            super().step()
        finally:
            self.weight_decay = decay
        with torch.no_grad():
            for p in self.params:
                if p.grad is not None:
                    p.mul_(1 - self.lr * self.weight_decay)
