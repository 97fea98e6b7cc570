"""Trusted probes for the `gradient_descent` function: the losses it is run on, and the probe itself."""

from __future__ import annotations

import torch

import graders.probes.core as core
from graders.probes.optim import failure, student_code, type_name

_mse_loss = torch.nn.functional.mse_loss  # bound at import, before any submission is loaded


# ---------------------------------------------------------------- losses for gradient_descent

def course_loss(w):
    """The course's example: (w - 1)^2, summed over the elements of w."""
    return ((w - 1) ** 2).sum()


def quadratic_loss(w, curvature, centre):
    """0.5 (w - c)^T A (w - c), a bowl whose axes have different curvatures."""
    shifted = w - centre
    return 0.5 * (shifted @ curvature @ shifted)


def least_squares_loss(w, inputs, targets):
    """Mean squared error of the linear model inputs @ w, for a matrix w."""
    return _mse_loss(inputs @ w, targets)


def logistic_loss(w, inputs, labels):
    """Binary cross-entropy of the logits z = inputs @ w, for a vector w, in its stable form."""
    z = inputs @ w
    return (z.clamp(min=0) - z * labels + (-z.abs()).exp().log1p()).mean()


LOSSES = {"course": course_loss, "quadratic": quadratic_loss, "least_squares": least_squares_loss,
          "logistic": logistic_loss}


def make_loss(description: dict, dtype: torch.dtype, device: str):
    """The loss function that `description` ({"name": ..., tensor parameters...}) names."""
    function = LOSSES[description["name"]]
    fixed = {key: value.to(device=device, dtype=dtype) for key, value in description.items() if key != "name"}
    return lambda w: function(w, **fixed)


# ---------------------------------------------------------------- gradient_descent

def gradient_descent(namespace, *, loss, w0, lr, steps, device="cpu", watch=False):
    """Run gradient_descent(loss_fn, w0, lr, n) for each n in `steps` (a list); report each run."""
    if core.missing(namespace, "gradient_descent"):
        return {"missing": "gradient_descent"}
    function = namespace["gradient_descent"]
    dtype = w0.dtype
    runs, calls, where = [], set(), {}
    for count in steps:
        start = w0.to(device).clone()
        kept = start.clone()
        loss_fn = make_loss(loss, dtype, device)
        run = {"raised": None}
        seen = set()
        try:
            with student_code(watch) as seen:
                output = function(loss_fn, start, lr, count)
        except Exception as error:  # noqa: BLE001 - the student's exception is part of the report
            run["raised"] = failure(error)
            runs.append(run)
            continue
        finally:
            calls |= seen
            where.update(getattr(seen, "where", {}))
        run["w0_changed"] = not (start.shape == kept.shape and torch.equal(start.detach(), kept))
        run["w0_requires_grad"] = bool(start.requires_grad)
        run["w0_grad"] = start.grad is not None
        run.update(describe_descent(output))
        runs.append(run)
    return {"missing": None, "runs": runs, "calls": sorted(calls), "where": where}


def describe_descent(output) -> dict:
    report = {"output_type": type_name(output)}
    if type(output) not in (tuple, list) or len(output) != 2:
        return report
    w, losses = output
    report["w_type"] = type_name(w)
    if isinstance(w, torch.Tensor):
        report.update(w_dtype=str(w.dtype), w_device=w.device.type, w_shape=list(w.shape), w=w.detach().clone(),
                      w_requires_grad=bool(w.requires_grad), w_has_grad_fn=w.grad_fn is not None)
    report["losses_type"] = type_name(losses)
    if type(losses) in (list, tuple):
        items = list(losses)[:10_000]
        report["loss_types"] = sorted({type_name(item) for item in items})
        report["losses"] = [item if type(item) is float else
                            item.detach().double().cpu().reshape(-1)[0].item()
                            if isinstance(item, torch.Tensor) and item.numel() == 1 and item.device.type != "meta"
                            else None for item in items]
    return report


