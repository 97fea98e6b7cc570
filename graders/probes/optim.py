"""The optimisation problems and optimizer probes that the `gradient_descent` and `weight_decay`
assignments share (sgd_step, sgd_step_with_weight_decay, Adam, AdamW).

Every problem is described by plain data (a name, a seed, shapes, numbers) and built by the
functions below, the same way on both sides: a probe builds it next to the student's code and
runs the student's optimizer on it; the judge imports the same builders and runs torch.optim's
optimizer on it. Only plain data crosses over: tensors, numbers, strings.

Two kinds of optimisation problem:

* a *linear* problem, whose loss at step t is sum_i <theta_i, g_i(t)>: its gradient is g_i(t)
  whatever the parameters are, so an optimizer's trajectory depends on its own arithmetic only,
  and can be compared with the reference's over hundreds of steps in float32 without rounding
  errors being amplified by the loss;
* a *model* problem: a small tanh network fitted to random targets with the mean squared error,
  trained for a few dozen steps through `model.parameters()`, as in a real training loop.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import torch
from torch import nn

import graders.probes.recorder as recorder
import graders.probes.core as core

# Bound at import, before any submission is loaded.
_mse_loss = torch.nn.functional.mse_loss
_skip_init = torch.nn.utils.skip_init
_Linear, _Tanh, _Sequential = nn.Linear, nn.Tanh, nn.Sequential

DTYPES = {"torch.float32": torch.float32, "torch.float64": torch.float64}
# Fused and multi-tensor optimizer kernels reached without torch.optim's Python code.
OPTIMIZER_KERNELS = r"_fused_(adam|sgd)"


def dtype_named(name: str) -> torch.dtype:
    return DTYPES[name]


# ---------------------------------------------------------------- the two optimisation problems

def linear_problem(problem: dict):
    """Start values and per-step gradients (float64, on the CPU) of a linear problem.

    `problem`: seed, shapes, steps, optional scales (one per parameter) and silent
    ([index, until]: parameter `index` gets no gradient during steps 1..until).
    """
    generator = torch.Generator().manual_seed(problem["seed"])
    shapes = [tuple(shape) for shape in problem["shapes"]]
    scales = problem.get("scales") or [1.0] * len(shapes)
    silent = {index: until for index, until in problem.get("silent", [])}
    start = [torch.randn(shape, generator=generator, dtype=torch.float64) for shape in shapes]
    drift = [torch.randn(shape, generator=generator, dtype=torch.float64) for shape in shapes]
    gradients = []
    for step in range(1, problem["steps"] + 1):
        row = []
        for index, shape in enumerate(shapes):
            noise = torch.randn(shape, generator=generator, dtype=torch.float64)
            quiet = step <= silent.get(index, 0)
            row.append(None if quiet else scales[index] * (drift[index] * math.cos(step / 15) + 0.7 * noise))
        gradients.append(row)
    return start, gradients


def linear_trajectory(make_optimizer, problem: dict, dtype: torch.dtype, device: str, *, progress=None):
    """Run the optimizer that `make_optimizer(params)` returns on a linear problem; return the
    parameters (detached copies) after each step listed in problem["checkpoints"]."""
    start, gradients = linear_problem(problem)
    params = [value.to(device=device, dtype=dtype).requires_grad_() for value in start]
    progress = progress if progress is not None else {}
    progress["stage"] = "constructing the optimizer"
    optimizer = make_optimizer(params)
    checkpoints = set(problem["checkpoints"])
    snapshots = []
    for step, row in enumerate(gradients, start=1):
        progress["stage"] = f"zero_grad() before step {step}"
        optimizer.zero_grad()
        progress["stage"] = f"the backward() pass of step {step}"
        loss = sum((param * grad.to(device=device, dtype=dtype)).sum()
                   for param, grad in zip(params, row) if grad is not None)
        loss.backward()
        progress["stage"] = f"step() number {step}"
        optimizer.step()
        if "cleared" not in progress and device != "meta" and any(
                param.grad is None or not param.grad.any() for param, grad in zip(params, row)
                if grad is not None and grad.any()):
            progress["cleared"] = step  # step() did zero_grad's work
        if step in checkpoints:
            snapshots.append([param.detach().clone() for param in params])
    return snapshots


def build_model(problem: dict, dtype: torch.dtype, device: str):
    """A small tanh network (sizes, e.g. [4, 8, 3]) with seeded weights, and seeded data."""
    generator = torch.Generator().manual_seed(problem["seed"])
    sizes = problem.get("sizes", [4, 8, 3])
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [_skip_init(_Linear, fan_in, fan_out), _Tanh()]
    model = _Sequential(*layers[:-1])
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn(param.shape, generator=generator, dtype=torch.float64) * 0.6)
    model.to(device=device, dtype=dtype)
    examples = problem.get("examples", 16)
    inputs = torch.randn(examples, sizes[0], generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
    targets = torch.randn(examples, sizes[-1], generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
    return model, inputs, targets


def model_trajectory(make_optimizer, problem: dict, dtype: torch.dtype, device: str, *, progress=None):
    """Train `build_model(problem)` for problem["steps"] steps with `make_optimizer(model)`; return
    the loss before each step and the parameters at the end."""
    model, inputs, targets = build_model(problem, dtype, device)
    progress = progress if progress is not None else {}
    progress["stage"] = "constructing the optimizer"
    optimizer = make_optimizer(model)
    losses = []
    for step in range(1, problem["steps"] + 1):
        progress["stage"] = f"zero_grad() before step {step}"
        optimizer.zero_grad()
        progress["stage"] = f"the forward and backward pass of step {step}"
        loss = _mse_loss(model(inputs), targets)
        losses.append(loss.item())
        loss.backward()
        progress["stage"] = f"step() number {step}"
        optimizer.step()
    return {"losses": losses, "params": [param.detach().clone() for param in model.parameters()]}


class FunctionAsOptimizer:
    """Gives a step function such as `sgd_step(params, lr)` an optimizer's interface."""

    def __init__(self, function, params, *args):
        self.function, self.params, self.args = function, list(params), args

    def zero_grad(self):
        for param in self.params:
            param.grad = None

    def step(self):
        self.function(list(self.params), *self.args)


# ---------------------------------------------------------------- watching the student's code

@contextlib.contextmanager
def recording_optim_calls():
    """Names of the Python functions of torch.optim that run inside the block, however they were
    reached (an import, getattr, an alias, a base class), in any thread, and of the fused optimizer
    kernels, with where the student's code reached them (`seen.where`); filled in when the block
    ends, whether or not it raised."""
    seen = recorder.Calls()
    try:
        with recorder.recording_library_calls() as library, recorder.recording_calls() as names:
            yield seen
    finally:
        for name in library:
            if name.startswith("torch.optim"):
                shown = f"torch.optim.{name.partition(':')[2]}"
                seen.add(shown)
                if name in library.where:
                    seen.where.setdefault(shown, library.where[name])
        kernels = recorder.matching(names, OPTIMIZER_KERNELS)
        seen.update(kernels)
        seen.where.update(recorder.located(names, kernels))


def watch_report(seen) -> dict:
    """What a probe reports of what `recording_optim_calls` saw."""
    return {"calls": sorted(seen), "where": dict(getattr(seen, "where", {}))}


@contextlib.contextmanager
def student_code(watch: bool):
    """Run student code with its warnings kept off stderr and, when `watch`, torch.optim recorded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if watch:
            with recording_optim_calls() as seen:
                yield seen
        else:
            yield recorder.Calls()


def failure(error, stage=None):
    report = core.exception_report(error)
    if stage:
        report["stage"] = stage
    return report


def type_name(value) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}".removeprefix("builtins.")


# ---------------------------------------------------------------- step functions (sgd_step, ...)

def step_once(namespace, *, function, params, grads, args=(), device="cpu", watch=False):
    """Call function(params, *args) once on leaf tensors whose .grad is given (None: no gradient).

    Reports the values of the tensors the probe holds (a step must change them in place), and
    whether the list still holds them, as leaves that require grad and have no grad_fn.
    """
    if core.missing(namespace, function):
        return {"missing": function}
    held = [value.to(device).requires_grad_() for value in params]
    for param, grad in zip(held, grads):
        param.grad = None if grad is None else grad.to(device)
    given = list(held)
    report = {"missing": None, "raised": None}
    seen = recorder.Calls()
    try:
        with student_code(watch) as seen:
            namespace[function](given, *args)
    except Exception as error:  # noqa: BLE001
        report["raised"] = failure(error)
    report.update(watch_report(seen))
    if report["raised"]:
        return report
    report["values"] = [param.detach().clone() for param in held]
    report["grads_cleared"] = [bool(grad is not None and grad.any() and (param.grad is None or not param.grad.any()))
                               for param, grad in zip(held, grads)]  # step() did zero_grad's work
    report["same_objects"] = [a is b for a, b in zip(given, held)] + [len(given) == len(held)]
    report["is_leaf"] = [bool(param.is_leaf) for param in held]
    report["requires_grad"] = [bool(param.requires_grad) for param in held]
    report["has_grad_fn"] = [param.grad_fn is not None for param in held]
    return report


def train_with_step(namespace, *, function, args=(), problem, dtype, device="cpu"):
    """Train the model problem with `function(params, *args)` as the optimizer's step."""
    if core.missing(namespace, function):
        return {"missing": function}
    progress = {}
    try:
        with student_code(False):
            result = model_trajectory(
                lambda model: FunctionAsOptimizer(namespace[function], model.parameters(), *args),
                problem, dtype_named(dtype), device, progress=progress)
    except Exception as error:  # noqa: BLE001
        return {"missing": None, "raised": failure(error, progress.get("stage"))}
    return {"missing": None, "raised": None, **result}


# ---------------------------------------------------------------- optimizer classes (Adam, ...)

def optimizer_linear(namespace, *, cls, kwargs, problem, dtype, device="cpu", watch=False):
    """Run the student's optimizer class `cls(params, **kwargs)` on a linear problem.

    On the `meta` device, whose tensors have no values, only what was raised is reported: a
    tensor created on the CPU by default then fails to mix with them, as it would on a GPU.
    """
    if core.missing(namespace, cls):
        return {"missing": cls}
    progress = {}
    seen = recorder.Calls()
    try:
        with student_code(watch) as seen:
            snapshots = linear_trajectory(lambda params: namespace[cls](iter(params), **kwargs),
                                          problem, dtype_named(dtype), device, progress=progress)
    except Exception as error:  # noqa: BLE001
        return {"missing": None, "raised": failure(error, progress.get("stage")), **watch_report(seen)}
    if device == "meta":
        return {"missing": None, "raised": None, "devices": sorted({p.device.type for p in snapshots[-1]})}
    return {"missing": None, "raised": None, "snapshots": snapshots, "cleared": progress.get("cleared"),
            **watch_report(seen)}


def optimizer_model(namespace, *, cls, kwargs, problem, dtype, device="cpu"):
    """Train the model problem with the student's `cls(model.parameters(), **kwargs)`."""
    if core.missing(namespace, cls):
        return {"missing": cls}
    progress = {}
    try:
        with student_code(False):
            result = model_trajectory(lambda model: namespace[cls](model.parameters(), **kwargs),
                                      problem, dtype_named(dtype), device, progress=progress)
    except Exception as error:  # noqa: BLE001
        return {"missing": None, "raised": failure(error, progress.get("stage"))}
    return {"missing": None, "raised": None, **result}


def optimizer_zero_grad(namespace, *, cls, kwargs, shapes, seed):
    """Give three parameters gradients (one of them none), call zero_grad(), and report what is left."""
    if core.missing(namespace, cls):
        return {"missing": cls}
    generator = torch.Generator().manual_seed(seed)
    params = [torch.randn(shape, generator=generator, dtype=torch.float64).requires_grad_() for shape in shapes]
    try:
        with student_code(False):
            optimizer = namespace[cls](iter(params), **kwargs)
            sum((param * torch.randn(param.shape, generator=generator, dtype=torch.float64)).sum()
                for param in params[:-1]).backward()
            optimizer.zero_grad()
    except Exception as error:  # noqa: BLE001
        return {"missing": None, "raised": failure(error)}
    left = ["none" if param.grad is None else "zeros" if not param.grad.any() else "nonzero" for param in params]
    return {"missing": None, "raised": None, "grads": left}


def optimizer_rejects(namespace, *, cls, cases):
    """Construct `cls(params, **kwargs)` for each kwargs in `cases`; report which raised what."""
    if core.missing(namespace, cls):
        return {"missing": cls}
    outcomes = []
    for kwargs in cases:
        params = [torch.zeros(2, requires_grad=True)]
        try:
            with student_code(False):
                namespace[cls](iter(params), **kwargs)
        except Exception as error:  # noqa: BLE001
            outcomes.append(failure(error))
        else:
            outcomes.append(None)
    return {"missing": None, "outcomes": outcomes}
