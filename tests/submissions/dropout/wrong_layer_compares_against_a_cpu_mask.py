"""The layer compares CPU uniform numbers with p (torch.rand(input.shape) >= p, a CPU mask) and moves only the
boolean mask to the input's device with .to(input): the mask is drawn on the CPU, not on the input's device.

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
        keep = torch.rand(input.shape) >= self.p
        return input * keep.to(input) / (1.0 - self.p)
