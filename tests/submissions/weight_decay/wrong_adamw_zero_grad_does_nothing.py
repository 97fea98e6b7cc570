"""zero_grad rebinds a local name instead of clearing the parameter's gradient.

fails: test_adamw_zero_grad_clears_every_gradient, test_adamw_matches_torch_optim_adamw_over_120_steps
hint: zero_grad() left the gradients
"""


class AdamW(AdamW):
    def zero_grad(self):
        for p in self.params:
            grad = p.grad
            grad = None
