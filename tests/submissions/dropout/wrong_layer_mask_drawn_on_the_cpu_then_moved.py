"""The layer draws its uniform numbers with torch.rand(input.shape), on the CPU whatever the input's device, and
moves them with .to(input.device) before comparing: on a GPU every forward pass draws on the CPU and copies the
numbers over (the meta-device probe sees no mixing, since .to() moves them).

fails: test_dropout_module_draws_its_mask_on_the_input_device
hint: device
"""


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, input):
        if not self.training or self.p == 0.0:
            return input
        if self.p == 1.0:
            return input * 0.0
        uniform = torch.rand(input.shape).to(input.device)
        return input * (uniform >= self.p) / (1.0 - self.p)
