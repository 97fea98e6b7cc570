"""Advances one shared step count inside the loop over parameters, once per parameter updated.

fails: test_adam_matches_torch_optim_adam_over_120_steps, test_adam_keeps_a_step_count_per_parameter, test_adam_trains_a_model_like_torch_optim_adam
hint: once per parameter updated
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
                self.t = getattr(self, "t", 0) + 1
                g = p.grad
                self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
                self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
                m_hat = self.m[i] / (1 - self.beta1 ** self.t)
                v_hat = self.v[i] / (1 - self.beta2 ** self.t)
                p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
