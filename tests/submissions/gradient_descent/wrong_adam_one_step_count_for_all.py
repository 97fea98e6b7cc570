"""Keeps a single step count for the optimizer, advanced on every call to step(), so a parameter that
starts receiving gradients late is bias-corrected as if it had been updated all along.

fails: test_adam_keeps_a_step_count_per_parameter
hint: counts calls to step()
"""


class Adam(Adam):
    def step(self):
        self.t = getattr(self, "t", 0) + 1
        with torch.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                if self.m[i] is None:
                    self.m[i] = torch.zeros_like(p)
                    self.v[i] = torch.zeros_like(p)
                g = p.grad
                self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
                self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
                m_hat = self.m[i] / (1 - self.beta1 ** self.t)
                v_hat = self.v[i] / (1 - self.beta2 ** self.t)
                p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
