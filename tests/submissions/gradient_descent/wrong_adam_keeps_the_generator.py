"""Stores `params` as given: a generator is used up by the first pass over it.

fails: test_adam_matches_torch_optim_adam_over_120_steps, test_adam_trains_a_model_like_torch_optim_adam
hint: generator
"""


class Adam(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__([], lr, betas, eps)
        self.params = params
        self.steps, self.m, self.v = {}, {}, {}

    def step(self):
        with torch.no_grad():
            for p in self.params:
                if p.grad is None:
                    continue
                if p not in self.m:
                    self.m[p], self.v[p], self.steps[p] = torch.zeros_like(p), torch.zeros_like(p), 0
                self.steps[p] += 1
                t = self.steps[p]
                self.m[p] = self.beta1 * self.m[p] + (1 - self.beta1) * p.grad
                self.v[p] = self.beta2 * self.v[p] + (1 - self.beta2) * p.grad ** 2
                m_hat = self.m[p] / (1 - self.beta1 ** t)
                v_hat = self.v[p] / (1 - self.beta2 ** t)
                p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
