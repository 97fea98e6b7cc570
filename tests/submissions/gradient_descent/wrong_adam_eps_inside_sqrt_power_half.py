"""Writes the denominator as (v_hat + eps) ** 0.5: eps under the square root, in another spelling than
torch.sqrt(v_hat + eps).

fails: test_adam_matches_torch_optim_adam_for_tiny_gradients
hint: inside the square root
"""


class Adam(Adam):
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
                self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * p.grad
                self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * p.grad ** 2
                m_hat = self.m[i] / (1 - self.beta1 ** t)
                v_hat = self.v[i] / (1 - self.beta2 ** t)
                p -= self.lr * m_hat / (v_hat + self.eps) ** 0.5
