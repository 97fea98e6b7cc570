"""zero_grad names p.grad.zero_ without calling it, so the gradients are never cleared.

fails: test_adam_matches_torch_optim_adam_over_120_steps, test_adam_trains_a_model_like_torch_optim_adam, test_adam_zero_grad_clears_every_gradient
hint: zero_grad() left the gradients
"""


class Adam(Adam):
    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_
