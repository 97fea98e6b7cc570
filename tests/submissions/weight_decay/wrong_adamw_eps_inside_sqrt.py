"""Adds eps under the square root.

fails: test_adamw_matches_torch_optim_adamw_for_tiny_gradients
hint: inside the square root
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
                p.mul_(1 - self.lr * self.weight_decay)
                g = p.grad
                self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
                self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
                m_hat = self.m[i] / (1 - self.beta1 ** t)
                v_hat = self.v[i] / (1 - self.beta2 ** t)
                p -= self.lr * m_hat / (v_hat + self.eps).sqrt()
