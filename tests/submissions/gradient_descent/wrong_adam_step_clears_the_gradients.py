"""Adam.step sets every updated parameter's .grad to None after its update: every trajectory in which zero_grad()
is called before each backward matches torch.optim.Adam, but the step does zero_grad's work, which
torch.optim.Adam's step never does.

fails: test_adam_matches_torch_optim_adam_over_120_steps
hint: zero_grad's job
"""


class Adam(Adam):
    def step(self):
        super().step()
        for p in self.params:
            p.grad = None
