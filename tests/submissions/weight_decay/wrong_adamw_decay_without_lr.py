"""Shrinks theta by (1 - weight_decay), forgetting the learning rate.

fails: test_adamw_matches_torch_optim_adamw_over_120_steps, test_adamw_trains_a_model_like_torch_optim_adamw
hint: not multiplied by the learning rate
"""


class AdamW(AdamW):
    def step(self):
        with torch.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                if self.m[i] is None:
                    self.m[i] = torch.zeros_like(p)
                    self.v[i] = torch.zeros_like(p)
                self.steps[i] += 1
                t = self.steps[i]
                p.mul_(1 - self.weight_decay)
                g = p.grad
                self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
                self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
                m_hat = self.m[i] / (1 - self.beta1 ** t)
                v_hat = self.v[i] / (1 - self.beta2 ** t)
                p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
