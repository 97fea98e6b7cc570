"""Creates m and v with torch.zeros(p.shape), on the default device instead of the parameter's.

fails: test_adamw_creates_no_tensor_on_another_device
hint: zeros_like
"""


class AdamW(AdamW):
    def step(self):
        for i, p in enumerate(self.params):
            if p.grad is not None and self.m[i] is None:
                self.m[i] = torch.zeros(p.shape)
                self.v[i] = torch.zeros(p.shape)
        super().step()
