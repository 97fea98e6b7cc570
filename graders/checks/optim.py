"""Checks that two assignments share: optimizers and step functions judged against torch.optim
(gradient_descent's sgd_step and Adam; weight_decay's sgd_step_with_weight_decay and AdamW).

Each runs the student's optimizer and torch.optim's on the same problem (built by
`graders.probes.optim` on both sides) and compares the trajectories; a mismatch is named when a
known variant of the update rule (a `Sketch`) reproduces it.
"""

from __future__ import annotations

import math

import torch

from graders.checks.common import (expect_no_forbidden_builtin, expect_on_input_device, expect_raises_like_pytorch,
                                   forbidden_uses, probe)
from graders.checks.compare import fail, message, mismatch
import graders.probes.optim as optim_probes
from graders.probes.optim import linear_trajectory, model_trajectory

# References are bound when this module is imported, before any submission is loaded.
SGD = torch.optim.SGD
_sqrt = torch.sqrt
_cat = torch.cat
_zeros_like = torch.zeros_like


FORBIDDEN_SOURCE = r"^optim$|^(SGD|Adam|AdamW|Optimizer)$|^_fused_(adam|sgd)"


def seed_from(rng) -> int:
    return int(torch.randint(2**31 - 1, (1,), generator=rng))


def flat(values) -> torch.Tensor:
    """One float64 vector from tensors, numbers and (nested) lists of them."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().double().reshape(-1)
    if isinstance(values, (list, tuple)):
        parts = [flat(value) for value in values]
        return _cat(parts) if parts else torch.zeros(0, dtype=torch.float64)
    return torch.tensor([float("nan") if values is None else float(values)], dtype=torch.float64)


def matching_mistake(got, mistakes, device: str, dtype) -> str | None:
    """The hint of the first mistake whose result `got` reproduces (compared as flat vectors).

    `mistakes` maps hints to results, or to functions computing them (called only when a check
    has already failed, one at a time until one matches), or is a function returning the mapping.
    """
    got = flat(got)
    if callable(mistakes):
        mistakes = mistakes()
    for hint, wrong in (mistakes or {}).items():
        wrong = wrong() if callable(wrong) else wrong
        if wrong is None:
            continue
        wrong = flat(wrong)
        if got.shape == wrong.shape and mismatch(got.to(dtype), wrong.to(dtype), device) is None:
            return hint
    return None


def fail_values(what: str, expected, got, device: str, *, hint: str | None = None):
    fail(message(what, expected=expected, got=got, details=mismatch(got, expected, device), hint=hint))


def raised_hint(raised: dict) -> str:
    message = raised["message"]
    if "NotImplementedError" in message:
        return " (not implemented yet)"
    if "leaf Variable that requires grad" in message:
        return ("\n  Hint: the update ran outside torch.no_grad(): autograd forbids changing a leaf tensor that "
                "requires grad in place while it records operations; wrap the update in `with torch.no_grad():`.")
    if "does not require grad and does not have a grad_fn" in message:
        return ("\n  Hint: after the step the parameters no longer require grad, so backward() cannot reach them: "
                "update them under torch.no_grad(), without detach_() or requires_grad_(False).")
    if "UnboundLocalError" in message:
        return ("\n  Hint: a name first assigned inside the loop was used after it; with steps=0 the loop body never "
                "runs, so set up what you return before the loop.")
    if "NoneType" in message:
        return ("\n  Hint: a .grad was None. A parameter that took no part in the loss has no gradient and must be "
                "skipped (`if p.grad is None: continue`); and after an update outside torch.no_grad(), w is no "
                "longer a leaf, so backward() leaves its .grad empty.")
    return ""


def expect_no_exception(report: dict, what: str):
    raised = report.get("raised")
    if raised:
        stage = f" during {raised['stage']}" if raised.get("stage") else ""
        fail(f"{what} raised {raised['message']}{stage}{raised_hint(raised)}")


def expect_trajectory(got: list, expected: list, checkpoints, *, what: str, reference: str, device: str,
                      dtype, mistakes: dict | None = None, hint: str | None = None):
    """Compare parameter snapshots step by step; name the first difference and a matching mistake."""
    for step, got_params, want_params in zip(checkpoints, got, expected):
        for index, (actual, wanted) in enumerate(zip(got_params, want_params)):
            if mismatch(actual, wanted, device) is None:
                continue
            diagnosis = matching_mistake(got, mistakes, device, dtype) or hint
            fail_values(f"{what}: after step {step}, parameter {index} (shape {tuple(wanted.shape)}) differs "
                        f"from {reference}'s.", wanted, actual, device, hint=diagnosis)
    if len(got) != len(expected):
        fail(f"{what}: {len(got)} snapshots came back, {len(expected)} expected")


def expect_model_run(got: dict, expected: dict, *, what: str, reference: str, device: str, dtype,
                     mistakes: dict | None = None, hint: str | None = None):
    """Compare the losses and final parameters of a model trained by the submission and by the reference."""
    everything = [got["losses"], got["params"]]
    diagnosis = lambda: matching_mistake(everything, mistakes, device, dtype) or hint  # noqa: E731
    losses, wanted = flat(got["losses"]).to(dtype), flat(expected["losses"]).to(dtype)
    if mismatch(losses, wanted, device) is not None:
        step = next((k for k, (a, b) in enumerate(zip(losses, wanted), start=1)
                     if mismatch(a, b, device) is not None), len(wanted))
        fail_values(f"{what}: the training losses differ from those of {reference} (first at step {step}).",
                    wanted, losses, device, hint=diagnosis())
    for index, (actual, want) in enumerate(zip(got["params"], expected["params"])):
        if mismatch(actual, want, device) is not None:
            fail_values(f"{what}: after training, parameter {index} (shape {tuple(want.shape)}) differs from "
                        f"{reference}'s.", want, actual, device, hint=diagnosis())


def expect_no_torch_optim(submission, report: dict, name: str):
    """Whatever the call returned or raised: neither witness may see torch.optim doing the work."""
    expect_no_forbidden_builtin(name, forbidden_uses(submission, name, FORBIDDEN_SOURCE, report),
                                instead="torch.optim is what this exercise asks you to write without: "
                                        "update the tensors yourself, from elementary tensor operations.")


CLEARED_HINT = ("clearing the gradients is zero_grad's job: torch.optim's step() reads .grad and leaves it as it "
                "is (a caller accumulating gradients over several backward passes, or reading them after the step, "
                "would lose them). Do not set p.grad = None or zero it in the step.")


def expect_gradients_kept(cleared, what: str):
    """Fail when a step cleared the gradients it used (`cleared`: the first step that did, or a
    per-parameter list of flags)."""
    if isinstance(cleared, list):
        indices = [index for index, flag in enumerate(cleared) if flag]
        if indices:
            fail(message(f"{what}: the step updated the parameters and then cleared their .grad (parameter(s) "
                         f"{indices}).", hint=CLEARED_HINT))
    elif cleared:
        fail(message(f"{what}: step() number {cleared} cleared the .grad of the parameters it updated.",
                     hint=CLEARED_HINT))


class Sketch:
    """Adam (and AdamW) written out in the judge, with switches that reproduce the known mistakes,
    so that a failure can say which mistake the submission's numbers come from."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *, decay="none",
                 bias_correction=True, eps_inside_sqrt=False, eps_before_correction=False, counter="parameter",
                 zero_grad=True, used_up=False):
        self.params, self.lr, self.betas, self.eps, self.weight_decay = list(params), lr, betas, eps, weight_decay
        self.decay, self.bias_correction, self.counter = decay, bias_correction, counter
        self.eps_inside_sqrt, self.eps_before_correction = eps_inside_sqrt, eps_before_correction
        self.clears, self.used_up = zero_grad, used_up
        self.state, self.calls, self.updates = {}, 0, 0

    def zero_grad(self):
        if self.clears:
            for param in self.params:
                param.grad = None

    @torch.no_grad()
    def step(self):
        self.calls += 1
        beta1, beta2 = self.betas
        for param in self.params:
            if param.grad is None:
                continue
            self.updates += 1
            state = self.state.setdefault(param, {"t": 0, "m": _zeros_like(param), "v": _zeros_like(param)})
            state["t"] += 1
            t = {"parameter": state["t"], "call": self.calls, "update": self.updates}[self.counter]
            grad = param.grad
            if self.decay == "coupled":
                grad = grad + self.weight_decay * param
            elif self.decay == "decoupled":
                param.mul_(1 - self.lr * self.weight_decay)
            elif self.decay == "without_lr":
                param.mul_(1 - self.weight_decay)
            state["m"] = beta1 * state["m"] + (1 - beta1) * grad
            state["v"] = beta2 * state["v"] + (1 - beta2) * grad * grad
            first, second = state["m"], state["v"]
            if self.bias_correction:
                first, second = first / (1 - beta1 ** t), second / (1 - beta2 ** t)
            if self.eps_inside_sqrt:
                update = first / _sqrt(second + self.eps)
            elif self.eps_before_correction:
                update = math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) * state["m"] / (_sqrt(state["v"]) + self.eps)
            else:
                update = first / (_sqrt(second) + self.eps)
            param.sub_(self.lr * update)
            if self.decay == "after":
                param.mul_(1 - self.lr * self.weight_decay)
        if self.used_up:
            self.params = []


ADAM_MISTAKES = {
    "the bias correction is missing: divide m by (1 - beta1**t) and v by (1 - beta2**t), with t the parameter's "
    "own step count starting at 1, or the first steps are far too small.": dict(bias_correction=False),
    "eps was added inside the square root: the denominator is sqrt(v_hat) + eps, not sqrt(v_hat + eps) "
    "(with small gradients this changes the step completely).": dict(eps_inside_sqrt=True),
    "eps was added to sqrt(v) before the bias correction (the paper's 'epsilon hat' form): torch.optim.Adam "
    "divides by sqrt(v_hat) + eps, with v_hat = v / (1 - beta2**t).": dict(eps_before_correction=True),
    "one step count is shared by all parameters and counts calls to step(): torch.optim keeps a count per "
    "parameter, advanced only when that parameter has a gradient.": dict(counter="call"),
    "the step count advances once per parameter updated, not once per step: keep one count per parameter "
    "(in its state), incremented once per step().": dict(counter="update"),
    "zero_grad() left the gradients in place, so backward() kept adding to them: set each p.grad to None "
    "(or zero it).": dict(zero_grad=False),
    "the parameters stopped changing after the first step: `params` may be a generator (model.parameters() "
    "is one), used up after one pass; keep `list(params)`.": dict(used_up=True),
    "the parameters never changed: `params` may be a generator (model.parameters() is one), used up by the "
    "first pass over it (in __init__ or zero_grad); keep `list(params)`.": dict(lr=0.0),
}


def sketch_variants(base: dict, variants: dict) -> dict:
    return {hint: (lambda params, extra=extra: Sketch(params, **{**base, **extra})) for hint, extra in variants.items()}


def linear_mistakes(makers: dict, problem, dtype) -> dict:
    """The trajectories of the known mistakes on a linear problem, each computed when asked for."""
    return {hint: (lambda make=make: linear_trajectory(make, problem, dtype, "cpu")) for hint, make in makers.items()}


def model_mistakes(makers: dict, problem, dtype) -> dict:
    """The training runs of the known mistakes on a model problem, each computed when asked for."""
    def run(make):
        result = model_trajectory(lambda model: make(model.parameters()), problem, dtype, "cpu")
        return [result["losses"], result["params"]]
    return {hint: (lambda make=make: run(make)) for hint, make in makers.items()}


def random_params(rng, dtype, shapes=((3, 4), (4,), (2, 3, 2))):
    params = [torch.randn(shape, generator=rng, dtype=torch.float64).to(dtype) for shape in shapes]
    grads = [torch.randn(shape, generator=rng, dtype=torch.float64).to(dtype) for shape in shapes]
    return params, grads


def reference_step(params, grads, device, optimizer=SGD, **options):
    leaves = [value.to(device).clone().requires_grad_() for value in params]
    for leaf, grad in zip(leaves, grads):
        leaf.grad = None if grad is None else grad.to(device).clone()
    optimizer(leaves, **options).step()
    return [leaf.detach() for leaf in leaves]


def step_once(submission, function, params, grads, args, device="cpu", watch=False):
    shown = ", ".join(f"<{tuple(p.shape)}{'' if g is not None else ', grad None'}>" for p, g in zip(params, grads))
    what = f"{function}([{shown}], {', '.join(map(repr, args))}) on {device}"
    report = probe(submission, optim_probes.step_once, what=what, function=function, params=params, grads=grads,
                   args=list(args), device=device, watch=watch)
    expect_no_exception(report, what)
    return report, what


def expect_step(report, what, expected, device, dtype, mistakes=None):
    for index, (got, want) in enumerate(zip(report["values"], expected)):
        if mismatch(got, want, device) is not None:
            hint = matching_mistake(report["values"], mistakes, device, dtype)
            fail_values(f"{what}: parameter {index} (shape {tuple(want.shape)}) after the step differs from "
                        "torch.optim.SGD's.", want, got, device, hint=hint)


def expect_same_leaves(report, what):
    if not all(report["same_objects"]):
        fail(f"{what} replaced tensors in the list it was given: an optimizer (and the model) hold on to the "
             "original parameter tensors, so update those in place.")
    broken = [index for index, (leaf, grad, fn) in enumerate(zip(report["is_leaf"], report["requires_grad"],
                                                                 report["has_grad_fn"]))
              if not leaf or not grad or fn]
    if broken:
        index = broken[0]
        state = ("no longer requires grad" if not report["requires_grad"][index] else
                 "has a grad_fn (the update was recorded in the graph)")
        fail(f"{what}: after the step, parameter {index} {state}. Parameters must stay leaf tensors that require "
             "grad, or the next backward() cannot reach them. Hint: do the update under torch.no_grad(), without "
             "detach_() or requires_grad_(False).")


LINEAR_SHAPES = [[3, 4], [5], [2, 3, 2]]


def run_optimizer(submission, cls, kwargs, problem, dtype, device, *, watch=False):
    shown = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    what = (f"{cls}(params{', ' if shown else ''}{shown}) on {len(problem['shapes'])} parameters receiving "
            f"{'tiny ' if problem.get('scales') and max(problem['scales']) < 1e-6 else ''}gradients for "
            f"{problem['steps']} steps ({dtype}, {device})")
    report = probe(submission, optim_probes.optimizer_linear, what=what, cls=cls, kwargs=kwargs, problem=problem,
                   dtype=str(dtype), device=device, watch=watch)
    expect_no_exception(report, what)
    return report, what


def check_linear(submission, cls, reference, kwargs, problem, dtype, device, mistakes, *, reference_name,
                 hint=None, gradients_kept=False):
    """Compare the trajectories; with `gradients_kept`, also fail a step() that cleared the gradients."""
    report, what = run_optimizer(submission, cls, kwargs, problem, dtype, device)
    expected = linear_trajectory(lambda params: reference(params, **kwargs), problem, dtype, device)
    expect_trajectory(report["snapshots"], expected, problem["checkpoints"], what=what, reference=reference_name,
                      device=device, dtype=dtype, mistakes=linear_mistakes(mistakes, problem, dtype) if mistakes
                      else None, hint=hint)
    if gradients_kept:
        expect_gradients_kept(report.get("cleared"), what)
    return report


def check_no_torch_optim_class(submission, cls, kwargs, rng):
    """Run the optimizer on a short linear problem with torch.optim watched; judge only that."""
    problem = linear(rng, 3, [1, 2, 3])
    shown = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    report = probe(submission, optim_probes.optimizer_linear, what=f"{cls}(params, {shown})", cls=cls, kwargs=kwargs,
                   problem=problem, dtype="torch.float32", device="cpu", watch=True)
    expect_no_torch_optim(submission, report, cls)


def linear(rng, steps, checkpoints, **extra):
    return {"seed": seed_from(rng), "shapes": LINEAR_SHAPES, "steps": steps, "checkpoints": checkpoints, **extra}


IGNORED_ARGUMENTS = {
    "this is what betas=(0.9, 0.999) and eps=1e-8 give: use the betas and eps passed to the constructor, not the "
    "defaults.": dict(betas=(0.9, 0.999), eps=1e-8),
    "this is what lr=1e-3 gives: use the lr passed to the constructor, not the default.": dict(lr=1e-3),
}


def check_model(submission, cls, reference, kwargs, problem, dtype, device, mistakes, *, reference_name):
    shown = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    what = (f"training a 4-8-3 tanh network for {problem['steps']} steps with {cls}(model.parameters(), {shown}) "
            f"on {device}, {dtype}")
    report = probe(submission, optim_probes.optimizer_model, what=what, cls=cls, kwargs=kwargs, problem=problem,
                   dtype=str(dtype), device=device)
    expect_no_exception(report, what)
    expected = model_trajectory(lambda model: reference(model.parameters(), **kwargs), problem, dtype, device)
    expect_model_run(report, expected, what=what, reference=reference_name, device=device, dtype=dtype,
                     mistakes=model_mistakes(mistakes, problem, dtype))


def check_zero_grad(submission, cls, kwargs, rng):
    what = f"{cls}(params).zero_grad() after a backward() that gave gradients to 2 of 3 parameters"
    report = probe(submission, optim_probes.optimizer_zero_grad, what=what, cls=cls, kwargs=kwargs,
                   shapes=[[3, 2], [4], [2]], seed=seed_from(rng))
    expect_no_exception(report, what)
    if report["grads"][:2] not in (["none", "none"], ["zeros", "zeros"]) or report["grads"][2] != "none":
        fail(f"{what} left the gradients as {report['grads']}; expected every gradient cleared (None, as "
             "torch.optim does by default, or zeros) and the parameter without a gradient left alone.")


def check_rejects(submission, cls, cases, reference_name):
    report = probe(submission, optim_probes.optimizer_rejects, what=f"{cls}(params, <invalid arguments>)", cls=cls,
                   cases=cases)
    for kwargs, raised in zip(cases, report["outcomes"]):
        shown = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
        expect_raises_like_pytorch(raised, f"{cls}(params, {shown})", reference_name,
                                   "for it (lr >= 0, 0 <= beta < 1 for both betas, eps >= 0"
                                   + (", weight_decay >= 0)" if cls == "AdamW" else ")"))


def check_device(submission, cls, kwargs, rng):
    problem = linear(rng, 3, [3])
    what = f"{cls}(params) stepping parameters that live on another device (meta)"
    report = probe(submission, optim_probes.optimizer_linear, what=what, cls=cls, kwargs=kwargs, problem=problem,
                   dtype="torch.float32", device="meta")
    expect_on_input_device(report.get("raised"), None, what,
                           hint="create the state with torch.zeros_like(p) (or p.new_zeros(...)), never "
                                "torch.zeros(p.shape), which lands on the default device.")
    expect_no_exception(report, what)
    if report["devices"] != ["meta"]:
        fail(f"{what} moved the parameters to {report['devices']}; they must stay where they are.")
