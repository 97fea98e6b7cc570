"""Trusted probes for the `dropout` graders.

Dropout is random, so these probes seed PyTorch's generators (CPU and every GPU, with the seed the
judge passes in) before running the student's code, which makes a verdict reproducible without
assuming anything about how or in which order the student draws random numbers. They report the
outputs, gradients and modes as plain data; the judge does the statistics.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

import graders.probes.recorder as recorder
from graders.probes.core import exception_report, describe_output, missing


def _library_calls(watch):
    """With a watch, every library function entered too, in this thread and any the student's code starts."""
    return recorder.recording_library_calls() if watch else contextlib.nullcontext()


def sample(namespace, input, kwargs=None, *, calls=1, device="cpu", seed=0, grad_weight=None, watch=None):
    """Seed the generators, then call `dropout(input, **kwargs)` `calls` times on `input` moved to
    `device`; report every call, with the devices its random numbers were drawn on (`draws`).

    With `grad_weight`, each call gets a fresh leaf that requires grad and the probe back-propagates
    `sum(output * grad_weight)`; `grad` is then the leaf's gradient, or None when none reached it
    (`connected` tells whether the output was attached to the graph at all).
    """
    if missing(namespace, "dropout"):
        return {"missing": "dropout"}
    torch.manual_seed(seed)  # seeds the CPU generator and those of every GPU
    return {"missing": None, "calls": [_one_call(namespace["dropout"], input, kwargs or {}, device,
                                                 grad_weight, watch) for _ in range(calls)]}


def _one_call(function, input, kwargs, device, grad_weight, watch):
    leaf = input.to(device)
    if grad_weight is not None:
        leaf = leaf.detach().requires_grad_()
    before = leaf.detach().clone() if leaf.device.type != "meta" else None
    report = {"raised": None, "calls": [], "where": {}, "draws": {}}
    names = library = None
    try:
        with _library_calls(watch) as library, recorder.recording_calls(report["draws"]) as names:
            output = function(leaf, **kwargs)
    except Exception as error:  # noqa: BLE001 - the student's exception is part of the report
        report["raised"] = exception_report(error)
    if watch:
        report.update(recorder.watched(names, library, watch))
    if report["raised"]:
        return report
    report["modified"] = bool(before is not None and not torch.equal(before, leaf.detach()))
    report.update(describe_output(output))
    if grad_weight is not None and isinstance(output, torch.Tensor):
        report["connected"] = bool(output.requires_grad)
        report["grad"], report["grad_error"] = None, None
        if output.requires_grad:
            if list(output.shape) != list(leaf.shape):
                report["grad_error"] = f"the output has shape {tuple(output.shape)}, not the input's"
                return report
            try:
                (output * grad_weight.to(device=output.device, dtype=output.dtype)).sum().backward()
            except Exception as error:  # noqa: BLE001
                report["grad_error"] = exception_report(error)["message"]
                return report
            report["grad"] = None if leaf.grad is None else leaf.grad.detach()
    return report


def layer(namespace, input=None, *, p=None, modes=("train", "eval"), device="cpu", seed=0, watch=None):
    """Build `Dropout(p)` (`Dropout()` when p is None), then, for each mode in `modes`, call
    `layer.train()` or `layer.eval()` and pass `input` (moved to `device`) through it; report the
    construction, the layer's kind and every pass (with the devices its random numbers were drawn
    on, `draws`)."""
    if missing(namespace, "Dropout"):
        return {"missing": "Dropout"}
    cls = namespace["Dropout"]
    report = {"missing": None, "raised": None, "is_module": isinstance(cls, type) and issubclass(cls, nn.Module),
              "passes": []}
    torch.manual_seed(seed)
    try:
        with _library_calls(watch) as library, recorder.recording_calls() as names:
            built = cls() if p is None else cls(p)
    except Exception as error:  # noqa: BLE001
        report["raised"] = exception_report(error)
        return report
    construction = recorder.watched(names, library, watch) if watch else {"calls": [], "where": {}}
    report["construction_calls"], report["construction_where"] = construction["calls"], construction["where"]
    report["parameters"] = len(list(built.parameters())) if isinstance(built, nn.Module) else None
    if input is None:
        return report
    for mode in modes:
        passed = {"mode": mode, "raised": None, "calls": [], "where": {}, "draws": {}}
        x = input.to(device)
        names = library = None
        try:
            getattr(built, mode)()
            with _library_calls(watch) as library, recorder.recording_calls(passed["draws"]) as names:
                output = built(x)
        except Exception as error:  # noqa: BLE001
            passed["raised"] = exception_report(error)
        if watch and names is not None:
            passed.update(recorder.watched(names, library, watch))
        if passed["raised"]:
            report["passes"].append(passed)
            continue
        passed["training_flag"] = bool(getattr(built, "training", None))
        passed.update(describe_output(output))
        report["passes"].append(passed)
    return report
