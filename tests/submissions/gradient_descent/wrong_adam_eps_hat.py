"""Folds the bias corrections into the step size and adds eps to sqrt(v) before correcting it (the
paper's "epsilon hat" variant), which is not what torch.optim.Adam computes.

fails: test_adam_matches_torch_optim_adam_for_tiny_gradients
hint: epsilon hat
"""

import math


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
                g = p.grad
                self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
                self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
                step_size = self.lr * math.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)
                p -= step_size * self.m[i] / (self.v[i].sqrt() + self.eps)
