"""Uses m and v directly, without dividing by 1 - beta**t.

fails: test_adam_matches_torch_optim_adam_over_120_steps, test_adam_matches_torch_optim_adam_for_tiny_gradients, test_adam_keeps_a_step_count_per_parameter, test_adam_trains_a_model_like_torch_optim_adam
hint: bias correction
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
                g = p.grad
                self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
                self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
                p -= self.lr * self.m[i] / (self.v[i].sqrt() + self.eps)
