"""Trusted probe routines for the `autograd` assignment: grad, jacobian (and mlp_forward, which
needs nothing beyond `core.call`).

`grad(f, x)` and `jacobian(f, x)` take a function `f` that the judge chooses. A callable cannot
cross to the student's side as plain data, so the judge names one of the trusted functions
below and passes its parameters as tensors; the probe builds `f` next to the student's code and
the judge builds the very same `f` on its side for the reference.

Forbidden built-ins (`torch.autograd.grad`, `torch.autograd.functional`, `torch.func`) do their
work in Python frames and in functorch's C entry points, not through ATen operators that a
dispatch mode could tell apart from `.backward()`; `recorder.recording_library_calls` therefore records the
library functions entered, by module and name, however the student reached them.
"""

from __future__ import annotations


import torch

import graders.probes.core as core
import graders.probes.recorder as recorder



# ---------------------------------------------------------------- the functions the judge may choose

def _cubic_h(params):
    """The course's h = 3x^2 + 1, summed over the elements of x."""
    return lambda x: (3 * x ** 2 + 1).sum()


def _weighted_sine(params):
    weights = params["weights"]
    return lambda x: (weights * torch.sin(x)).sum() + 0.5 * x.sum() ** 2


def _quadratic_form(params):
    matrix = params["matrix"]  # (n, n), not symmetric
    return lambda x: x.reshape(-1) @ matrix @ x.reshape(-1) + torch.cos(x).sum()


def _regression_loss(params):
    """x is a weight matrix (out, in); the loss of a tanh layer on fixed data."""
    data, target = params["data"], params["target"]
    return lambda x: ((torch.tanh(data @ x.T) - target) ** 2).mean()


def _linear_map(params):
    matrix, shift = params["matrix"], params["shift"]  # (m, n), (m,)
    return lambda x: matrix @ x + shift


def _tanh_layer(params):
    matrix, shift = params["matrix"], params["shift"]
    return lambda x: torch.tanh(matrix @ x + shift)


def _course_network(params):
    """The course's 3-4-2 network as a function of its input: relu(W1 x + b1) -> W2 h + b2."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    return lambda x: W2 @ torch.relu(W1 @ x + b1) + b2


def _mixed(params):
    """Three outputs that mix the inputs differently: a product, a norm, a cross term."""
    scale = params["scale"]  # (n,)
    return lambda x: torch.stack([(scale * x).prod(), (x ** 2).sum().sqrt(), torch.sin(x[0]) * x[-1]])


def _elementwise_cube(params):
    return lambda x: x ** 3 - x


def _single_output(params):
    weights = params["weights"]
    return lambda x: torch.exp(weights @ x).reshape(1)


FUNCTIONS = {
    "cubic_h": _cubic_h,
    "weighted_sine": _weighted_sine,
    "quadratic_form": _quadratic_form,
    "regression_loss": _regression_loss,
    "linear_map": _linear_map,
    "tanh_layer": _tanh_layer,
    "course_network": _course_network,
    "mixed": _mixed,
    "elementwise_cube": _elementwise_cube,
    "single_output": _single_output,
}

DESCRIPTIONS = {  # how failure messages show each function to the student
    "cubic_h": "f(x) = sum(3x^2 + 1)",
    "weighted_sine": "f(x) = sum(w * sin(x)) + sum(x)^2 / 2",
    "quadratic_form": "f(x) = v @ M @ v + sum(cos(x)) with v = x.reshape(-1)",
    "regression_loss": "f(W) = mean((tanh(data @ W.T) - target)^2)",
    "linear_map": "f(x) = A @ x + b",
    "tanh_layer": "f(x) = tanh(A @ x + b)",
    "course_network": "f(x) = W2 @ relu(W1 @ x + b1) + b2, the course's 3-4-2 network",
    "mixed": "f(x) = [prod(s * x), norm(x), sin(x[0]) * x[-1]]",
    "elementwise_cube": "f(x) = x^3 - x",
    "single_output": "f(x) = [exp(w @ x)]",
}


def build_function(name: str, params: dict, device, dtype):
    """The trusted function `name` with its tensor parameters on `device` in `dtype`."""
    moved = {key: value.to(device=device, dtype=dtype) for key, value in (params or {}).items()}
    return FUNCTIONS[name](moved)


# ---------------------------------------------------------------- recording library calls

# ---------------------------------------------------------------- probes

def _snapshot(output):
    """`core.describe_output`, with the returned tensor's values copied at once (a tensor the
    student returns may be one that later code changes in place)."""
    described = core.describe_output(output)
    if isinstance(described.get("output"), torch.Tensor):
        described["output"] = described["output"].clone()
    return described


def differentiate(namespace, function, f, params, x, *, device="cpu", requires_grad=True, prior_grad=None,
                  calls=1, watch=None):
    """Call the student's `function` (grad or jacobian) `calls` times on the trusted function `f`
    and the point `x` (moved to `device`, a leaf, requiring grad when asked, with `.grad` set to
    `prior_grad` when given); report every result and the state of `x` afterwards."""
    if core.missing(namespace, function):
        return {"missing": function}
    target = namespace[function]
    fn = build_function(f, params, device, x.dtype)
    point = x.to(device).detach().requires_grad_(requires_grad)
    if prior_grad is not None:
        point.grad = prior_grad.to(device)
    grad_object = point.grad
    readable = point.device.type != "meta"
    report = {"missing": None, "raised": None, "calls": [], "where": {}, "results": []}
    for _ in range(calls):
        try:
            with recorder.recording_library_calls() as names:
                output = target(fn, point)
        except Exception as error:  # noqa: BLE001 - the student's exception is part of the report
            report["raised"] = core.exception_report(error)
            break
        finally:
            if watch:
                seen = recorder.watched(None, names, watch, parts=False)
                report["calls"] = sorted(set(report["calls"]) | set(seen["calls"]))
                report["where"].update(seen["where"])
        report["results"].append(_snapshot(output))
    report["x_after"] = point.detach().clone() if readable else None
    report["x_requires_grad"] = bool(point.requires_grad)
    report["x_is_leaf"] = bool(point.is_leaf)
    report["x_dtype"] = str(point.dtype)
    grad_now = point.grad
    report["x_grad_is_none"] = grad_now is None
    report["x_grad_after"] = grad_now.detach().clone() if grad_now is not None and readable else None
    report["x_grad_same_object"] = grad_now is grad_object
    return report
