"""Trusted probes for the `weight_decay` assignment.

The graders run the student's AdamW and step function with the shared optimizer probes
(graders/probes/optim.py: the same linear and model problems as gradient_descent). This module adds
what weight decay needs besides: the penalty with its gradient, and models with weights, biases,
normalisation layers and a 0-d parameter, whose parameter groups the student splits and a real
torch.optim optimizer uses.
"""

from __future__ import annotations

import torch
from torch import nn

import graders.probes.core as core
from graders.probes.optim import dtype_named, failure, student_code, type_name

# Bound at import, before any submission is loaded.
_mse_loss = torch.nn.functional.mse_loss
_skip_init = torch.nn.utils.skip_init
_Linear, _LayerNorm, _Conv1d, _Tanh, _Sequential, _Parameter = (
    nn.Linear, nn.LayerNorm, nn.Conv1d, nn.Tanh, nn.Sequential, nn.Parameter)
OPTIMIZERS = {"AdamW": torch.optim.AdamW, "SGD": torch.optim.SGD}


# ---------------------------------------------------------------- models

class Gain(nn.Module):
    """An elementwise learned gain: a 1-d parameter called `weight`, as in normalisation layers.

    (Used instead of LayerNorm in the models that are trained: LayerNorm's CPU kernels are
    multi-threaded even for tiny inputs, and slow on a busy machine.)"""

    def __init__(self, size):
        super().__init__()
        self.weight = _Parameter(torch.ones(size))

    def forward(self, inputs):
        return inputs * self.weight


class ScaledNet(nn.Module):
    """Linear, LayerNorm (or Gain), tanh, Linear, and a learned 0-d output scale."""

    def __init__(self, sizes=(4, 6, 3), norm="layer"):
        super().__init__()
        fan_in, hidden, fan_out = sizes
        self.body = _Sequential(_skip_init(_Linear, fan_in, hidden),
                                _LayerNorm(hidden) if norm == "layer" else Gain(hidden), _Tanh(),
                                _skip_init(_Linear, hidden, fan_out))
        self.scale = _Parameter(torch.ones(()))

    def forward(self, inputs):
        return self.body(inputs) * self.scale


class ConvNet(nn.Module):
    """A 1-d convolution (3-d weight) over 2 channels of length 8, then a linear read-out."""

    def __init__(self):
        super().__init__()
        self.conv = _skip_init(_Conv1d, 2, 3, 3)
        self.head = _skip_init(_Linear, 18, 2)

    def forward(self, inputs):
        return self.head(torch.tanh(self.conv(inputs)).flatten(1))


def build_model(kind: str, seed: int, dtype=torch.float64, device="cpu"):
    """One of the models whose parameters are split into groups, with seeded parameter values."""
    if kind == "mlp":
        model = _Sequential(_skip_init(_Linear, 4, 8), _Tanh(), _skip_init(_Linear, 8, 3))
    elif kind == "scaled":
        model = ScaledNet()
    elif kind == "gained":
        model = ScaledNet(norm="gain")
    elif kind == "conv":
        model = ConvNet()
    else:
        raise ValueError(f"unknown model {kind!r}")
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn(param.shape, generator=generator, dtype=torch.float64) * 0.5 + 0.2)
    return model.to(device=device, dtype=dtype)


def train_model(model, optimizer, seed: int, steps: int, dtype, device):
    """Fit a model of 4 inputs and 3 outputs (`gained`) to seeded random targets; return the losses and
    the named parameters."""
    generator = torch.Generator().manual_seed(seed + 1)
    inputs = torch.randn(16, 4, generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
    targets = torch.randn(16, 3, generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = _mse_loss(model(inputs), targets)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return {"losses": losses, "params": {name: param.detach().clone() for name, param in model.named_parameters()}}


# ---------------------------------------------------------------- l2_penalty

def l2_penalty(namespace, *, params, weight_decay, device="cpu", requires_grad=True, as_generator=False):
    """Call l2_penalty on leaf tensors (or a generator of them); report the value, its gradients
    with respect to every parameter, and whether any parameter was changed."""
    if core.missing(namespace, "l2_penalty"):
        return {"missing": "l2_penalty"}
    leaves = [value.to(device).requires_grad_(requires_grad) for value in params]
    before = [leaf.detach().clone() for leaf in leaves]
    given = iter(leaves) if as_generator else list(leaves)
    report = {"missing": None, "raised": None}
    try:
        with student_code(False):
            output = namespace["l2_penalty"](given, weight_decay)
    except Exception as error:  # noqa: BLE001
        report["raised"] = failure(error)
        return report
    report["modified"] = [not torch.equal(old, leaf.detach()) for old, leaf in zip(before, leaves)]
    report.update(core.describe_output(output))
    if requires_grad and isinstance(output, torch.Tensor):
        if output.numel() != 1 or not output.requires_grad:
            report["grad_error"] = ("the result is not connected to the parameters' graph (no grad_fn): was it "
                                    "detached, or built from .item() values?" if output.numel() == 1 else
                                    f"the result has shape {tuple(output.shape)}, not a single number")
        else:
            try:
                with student_code(False):
                    output.sum().backward()
                report["grads"] = [leaf.grad for leaf in leaves]
            except Exception as error:  # noqa: BLE001
                report["grad_error"] = failure(error)["message"]
    return report


# ---------------------------------------------------------------- decay_parameter_groups

def _describe_groups(groups, names_by_id) -> dict:
    report = {"output_type": type_name(groups)}
    if type(groups) not in (list, tuple):
        return report
    described = []
    for group in list(groups)[:10]:
        entry = {"type": type_name(group)}
        if type(group) is dict:
            entry["keys"] = sorted(str(key) for key in group)[:20]
            decay = group.get("weight_decay")
            entry["weight_decay"] = decay if type(decay) in (int, float) else None
            entry["weight_decay_type"] = type_name(decay)
            members = group.get("params")
            entry["params_type"] = type_name(members)
            if type(members) in (list, tuple):
                entry["params"] = [names_by_id.get(id(item), "<a tensor that is not one of the model's parameters>"
                                                   if isinstance(item, torch.Tensor) else f"<a {type_name(item)}>")
                                   for item in list(members)[:1000]]
        described.append(entry)
    report["groups"] = described
    return report


def parameter_groups(namespace, *, model, weight_decay, seed):
    """Call decay_parameter_groups on a model; report, by parameter name, what each group holds."""
    if core.missing(namespace, "decay_parameter_groups"):
        return {"missing": "decay_parameter_groups"}
    net = build_model(model, seed)
    names_by_id = {id(param): name for name, param in net.named_parameters()}
    report = {"missing": None, "raised": None,
              "parameters": [[name, list(param.shape)] for name, param in net.named_parameters()]}
    try:
        with student_code(False):
            groups = namespace["decay_parameter_groups"](net, weight_decay)
    except Exception as error:  # noqa: BLE001
        report["raised"] = failure(error)
        return report
    report.update(_describe_groups(groups, names_by_id))
    return report


def train_with_groups(namespace, *, optimizer, options, weight_decay, seed, steps, dtype, device="cpu"):
    """Pass the student's groups for the `gained` model to a real torch.optim optimizer and train."""
    if core.missing(namespace, "decay_parameter_groups"):
        return {"missing": "decay_parameter_groups"}
    net = build_model("gained", seed, dtype_named(dtype), device)
    stage = "decay_parameter_groups(model, weight_decay)"
    try:
        with student_code(False):
            groups = namespace["decay_parameter_groups"](net, weight_decay)
            stage = f"torch.optim.{optimizer}(groups, ...)"
            built = OPTIMIZERS[optimizer](groups, **options)
            stage = "training"
            result = train_model(net, built, seed, steps, dtype_named(dtype), device)
    except Exception as error:  # noqa: BLE001
        return {"missing": None, "raised": failure(error, stage)}
    return {"missing": None, "raised": None, **result}
