"""Trusted probe routines for the `gradient_zeroing` assignment: zero_grad, train_step and
accumulate_gradients.

Each probe builds what the student's function works on next to the student's code, from plain
data the judge sends: parameters with gradients, or a small model (nn.Linear -> nn.Tanh ->
nn.Linear, with the initial parameters the judge drew), a loss function named by a string and a
torch.optim.SGD optimizer. It reports parameters, gradients and returned values as tensors and
numbers; the judge builds the same objects on its side for the reference.
"""

from __future__ import annotations

import torch
import torch.nn as nn

import graders.probes.core as core

LOSSES = {"mse": nn.MSELoss, "cross_entropy": nn.CrossEntropyLoss}


def build_model(sizes, state, device):
    """nn.Linear(in, hidden) -> nn.Tanh() -> nn.Linear(hidden, out) on `device` in the dtype of
    `state`, holding the parameter values `state` (W1, b1, W2, b2); no random initialisation."""
    n_in, n_hidden, n_out = sizes
    dtype = state[0].dtype
    model = nn.Sequential(nn.Linear(n_in, n_hidden, device="meta", dtype=dtype), nn.Tanh(),
                          nn.Linear(n_hidden, n_out, device="meta", dtype=dtype))
    model = model.to_empty(device=device)
    with torch.no_grad():
        for parameter, value in zip(model.parameters(), state):
            parameter.copy_(value)
    return model


def set_grads(parameters, grads, device):
    for parameter, grad in zip(parameters, grads or ()):
        parameter.grad = None if grad is None else grad.to(device=device, dtype=parameter.dtype).clone()


def _copy(tensor):
    return None if tensor is None else tensor.detach().clone()


def _raised(report, error):
    report["raised"] = core.exception_report(error)
    return report


def zero_grads(namespace, values, grads, *, device="cpu", set_to_none="default", container="list"):
    """Call the student's zero_grad on leaf tensors holding `values`, whose .grad are `grads`
    (None for a parameter without gradient), passed as a list or as a generator (what
    model.parameters() returns); report every parameter and gradient afterwards."""
    if core.missing(namespace, "zero_grad"):
        return {"missing": "zero_grad"}
    params = [value.to(device).detach().requires_grad_() for value in values]
    set_grads(params, grads, device)
    before = [parameter.grad for parameter in params]
    report = {"missing": None, "raised": None}
    argument = params if container == "list" else (parameter for parameter in params)
    options = {} if set_to_none == "default" else {"set_to_none": set_to_none}
    try:
        namespace["zero_grad"](argument, **options)
    except Exception as error:  # noqa: BLE001 - the student's exception is part of the report
        return _raised(report, error)
    report["params"] = [_copy(parameter) for parameter in params]
    report["requires_grad"] = [bool(parameter.requires_grad) for parameter in params]
    report["grads"] = [_copy(parameter.grad) for parameter in params]
    report["same_grad_object"] = [parameter.grad is old for parameter, old in zip(params, before)]
    report["grad_devices"] = [None if p.grad is None else p.grad.device.type for p in params]
    return report


def train_steps(namespace, sizes, state, loss, lr, momentum, batches, *, device="cpu", stale=None):
    """Build the model, loss and SGD optimizer; call the student's train_step once per batch;
    report what each call returned and the parameters after the last one."""
    if core.missing(namespace, "train_step"):
        return {"missing": "train_step"}
    model = build_model(sizes, state, device)
    set_grads(list(model.parameters()), stale, device)
    originals = list(model.parameters())
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = LOSSES[loss]()
    report = {"missing": None, "raised": None, "returned": []}
    for inputs, targets in batches:
        try:
            value = namespace["train_step"](model, loss_fn, optimizer, inputs.to(device), targets.to(device))
        except Exception as error:  # noqa: BLE001
            return _raised(report, error)
        report["returned"].append(_returned(value))
    report["params"] = [_copy(parameter) for parameter in model.parameters()]
    report["same_parameters"] = all(a is b for a, b in zip(model.parameters(), originals))
    return report


def _returned(value):
    """What train_step returned: its type, and its value as a float when it holds one number."""
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    number = None
    if type(value) in (int, float):
        number = float(value)
    elif isinstance(value, torch.Tensor) and value.numel() == 1 and value.device.type != "meta":
        number = float(value.detach().cpu().reshape(()).double().item())
    return {"type": kind, "value": number}


def accumulate(namespace, sizes, state, loss, batches, *, device="cpu", stale=None):
    """Build the model and loss; call the student's accumulate_gradients over `batches`; report
    every parameter's gradient and value afterwards."""
    if core.missing(namespace, "accumulate_gradients"):
        return {"missing": "accumulate_gradients"}
    model = build_model(sizes, state, device)
    set_grads(list(model.parameters()), stale, device)
    moved = [(inputs.to(device), targets.to(device)) for inputs, targets in batches]
    report = {"missing": None, "raised": None}
    try:
        namespace["accumulate_gradients"](model, LOSSES[loss](), moved)
    except Exception as error:  # noqa: BLE001
        return _raised(report, error)
    report["grads"] = [_copy(parameter.grad) for parameter in model.parameters()]
    report["params"] = [_copy(parameter) for parameter in model.parameters()]
    return report
