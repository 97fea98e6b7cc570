"""Trusted routines that run next to the student's code and report plain data.

A probe receives the submission's namespace and plain arguments, sets up what the check needs
(inputs on the device, gradients, a watch for forbidden built-ins), runs the student's
function, and returns only numbers, strings and tensors. The judge never touches the
student's objects: it compares what a probe reports against references computed on its side.
"""

from __future__ import annotations

import contextlib
import threading
import time

import torch

import graders.probes.recorder as recorder
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
    held = tuple(inputs)  # a tuple: a function that finds this frame cannot swap the tensors it holds
    threads = set(threading.enumerate())
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
    report.update(describe_output(output))
    # The judge compares the inputs with its own copy, once the threads this call started have ended
    # (a thread may change an input after the function returned), or says how many still run.
    report["threads_left"] = _settle(threads)
    report["inputs_after"] = [arg.detach().clone() if isinstance(arg, torch.Tensor) and arg.device.type != "meta"
                              else None for arg in held]
    if grad_weight is not None and report["output_type"] == "torch.Tensor":
        report.update(_gradients(output, inputs, requires_grad, grad_weight))
    return report


SETTLE_SECONDS = 0.5  # how long the threads a call started may run on before its inputs are read


def _settle(before: set) -> int:
    """Wait (at most SETTLE_SECONDS) for the threads started since `before` to end; return how many
    still run."""
    deadline = time.monotonic() + SETTLE_SECONDS
    started = [thread for thread in threading.enumerate() if thread not in before]
    for thread in started:
        thread.join(max(deadline - time.monotonic(), 0))
    return sum(thread.is_alive() for thread in started)


def describe_output(output):
    described = {"output_type": f"{type(output).__module__}.{type(output).__qualname__}"}
    if isinstance(output, torch.Tensor):
        described["output_dtype"] = str(output.dtype)
        described["output_device"] = output.device.type
        described["output_shape"] = list(output.shape)
        described["output"] = output.detach()  # on `meta`, only its dtype and shape cross to the judge
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
    facts["environment"] = sorted(os.environ)
    try:
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        facts["seccomp"] = {"0": "off", "1": "strict", "2": "filter"}.get(fields.get("Seccomp", "").strip(), "unknown")
        facts["no_new_privs"] = fields.get("NoNewPrivs", "").strip() == "1"
        with open("/proc/self/mountinfo") as table:
            facts["mounts"] = [f"{parts[4]} ({parts[5]})" for parts in map(str.split, table)]
    except OSError:
        facts.update(seccomp="unknown", no_new_privs=False, mounts=[])
    return facts
