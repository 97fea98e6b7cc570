"""zero_grad zeroes every gradient in place, crashing on a parameter that has none yet.

fails: test_adam_keeps_a_step_count_per_parameter, test_adam_zero_grad_clears_every_gradient
hint: NoneType
"""


class Adam(Adam):
    def zero_grad(self):
        for p in self.params:
            p.grad.zero_()
