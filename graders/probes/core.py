"""Trusted routines that run next to the student's code and report plain data.

A probe receives the submission's namespace and plain arguments, sets up what the check needs
(inputs on the device, gradients, a watch for forbidden built-ins), runs the student's
function, and returns only numbers, strings and tensors. The judge never touches the
student's objects: it compares what a probe reports against references computed on its side.
"""

from __future__ import annotations

import contextlib

import torch

from graders.probes import recorder
from graders.engine.loader import describe_exception


def missing(namespace, *names):
    """The first of `names` the submission does not define as something callable, else None."""
    return next((name for name in names if not callable(namespace.get(name))), None)


def call(namespace, function, args=(), kwargs=None, *, device="cpu", requires_grad=(),
         grad_weight=None, watch=None):
    """Call `function(*args, **kwargs)` with tensor arguments moved to `device`.

    `requires_grad` lists the positions of arguments to differentiate; with `grad_weight` the
    probe back-propagates `sum(output * grad_weight)` and reports those arguments' gradients.
    `watch` is a pattern of forbidden names; the calls it matches are reported.
    """
    if missing(namespace, function):
        return {"missing": function}
    target = namespace[function]
    inputs = [_to_device(arg, device) for arg in args]
    for position in requires_grad:
        inputs[position] = inputs[position].detach().requires_grad_()
    kwargs = {key: _to_device(value, device) for key, value in (kwargs or {}).items()}
    before = [arg.detach().clone() if isinstance(arg, torch.Tensor) and arg.device.type != "meta" else None
              for arg in inputs]
    report = {"missing": None, "raised": None, "calls": [], "where": {}}
    names = library = None
    try:
        # with a watch, also every library function entered, in this thread and in any it starts
        with (recorder.recording_library_calls() if watch else contextlib.nullcontext()) as library, \
                recorder.recording_calls() as names:
            output = target(*inputs, **kwargs)
    except Exception as error:  # noqa: BLE001 - the student's exception is part of the report
        report["raised"] = exception_report(error)
    if watch:
        report.update(recorder.watched(names, library, watch))
    if report["raised"]:
        return report
    report["modified"] = [
        bool(old is not None and not (old.shape == new.shape and torch.equal(old, new.detach())))
        for old, new in zip(before, inputs)
    ]
    report.update(describe_output(output))
    if grad_weight is not None and report["output_type"] == "torch.Tensor":
        report.update(_gradients(output, inputs, requires_grad, grad_weight))
    return report


def describe_output(output):
    described = {"output_type": f"{type(output).__module__}.{type(output).__qualname__}"}
    if isinstance(output, torch.Tensor):
        described["output_dtype"] = str(output.dtype)
        described["output_device"] = output.device.type
        described["output_shape"] = list(output.shape)
        described["output"] = None if output.device.type == "meta" else output.detach()
        described["output_requires_grad"] = bool(output.requires_grad)
    elif type(output) in (int, float, bool):
        described["output"] = output
    return described


def _gradients(output, inputs, requires_grad, grad_weight):
    weight = grad_weight.to(device=output.device, dtype=output.dtype)
    if list(output.shape) != list(weight.shape):
        return {"grad_error": f"output has shape {tuple(output.shape)}, expected {tuple(weight.shape)}"}
    if not output.requires_grad:
        return {"grad_error": "the output is not connected to the inputs' graph (no grad_fn): "
                              "was it detached, or built from .item() values?"}
    try:
        (output * weight).sum().backward()
    except Exception as error:  # noqa: BLE001
        return {"grad_error": describe_exception(error)}
    return {"grads": [inputs[position].grad for position in requires_grad]}


def _to_device(value, device):
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_device(item, device) for item in value)
    return value


def exception_report(error):
    return {
        "type": type(error).__name__,
        "bases": [cls.__name__ for cls in type(error).__mro__],
        "message": describe_exception(error),
    }


def explain_isolation(namespace) -> dict:
    """What a confined worker observes about itself (`nngrade check --explain-isolation`): facts, not
    intentions."""
    import os
    import resource
    import socket

    facts = {"pid": os.getpid(), "uid": os.getuid()}
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=0.2).close()
        facts["network"] = "reachable"
    except OSError as error:
        facts["network"] = f"unreachable ({error.strerror or error})"
    try:
        with open("/nngrade-write-test", "w"):
            pass
        os.unlink("/nngrade-write-test")
        facts["root_writable"] = True
    except OSError:
        facts["root_writable"] = False
    facts["limits"] = {name: resource.getrlimit(getattr(resource, name))[0]
                       for name in ("RLIMIT_DATA", "RLIMIT_CPU", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE")}
    return facts
