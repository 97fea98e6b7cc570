"""Graders for the `gradient_descent` assignment: gradient_descent, sgd_step and Adam, against the
course's worked example and the trajectories of torch.optim.SGD and torch.optim.Adam."""

from __future__ import annotations

import math

import pytest
import torch

from graders import forbidden
from graders.checks import points, probe
from graders.compare import fail, mismatch
from graders.probes_gradient_descent import linear_trajectory, make_loss, model_trajectory

# References are bound when this module is imported, before any submission is loaded.
SGD = torch.optim.SGD
ADAM = torch.optim.Adam
_sqrt = torch.sqrt
_cat = torch.cat
_zeros_like = torch.zeros_like

FORBIDDEN_SOURCE = r"^optim$|^(SGD|Adam|AdamW|Optimizer)$|^_fused_(adam|sgd)"
PROBES = "probes_gradient_descent"


def seed_from(rng) -> int:
    return int(torch.randint(2**31 - 1, (1,), generator=rng))


# ---------------------------------------------------------------- shared by both optimisation assignments

def show(value) -> str:
    if isinstance(value, torch.Tensor):
        flat = value.detach().cpu().reshape(-1)
        text = " ".join(repr(flat[:6] if flat.numel() > 6 else value.detach().cpu()).split())
        return text + (f" ... ({value.numel()} values, shape {tuple(value.shape)})" if value.numel() > 6 else "")
    return repr(value)[:200]


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
    problem = mismatch(got, expected, device) or ""
    lines = [what, f"  Expected: {show(expected)}", f"  Got:      {show(got)}"]
    lines += [f"  {line}" for line in problem.splitlines()]
    if hint:
        lines.append(f"  Hint: {hint}")
    fail("\n".join(lines))


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
    used = set(report.get("calls", [])) | set(forbidden.named_in_source(submission.sources, name, FORBIDDEN_SOURCE))
    if used:
        fail(f"{name} relies on torch.optim, which this exercise asks you to write without: "
             f"{', '.join(sorted(used))}. Update the tensors yourself, from elementary tensor operations.")


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


# ---------------------------------------------------------------- gradient_descent

COURSE_W = [1.8, 1.64, 1.512, 1.4096, 1.32768, 1.262144]
COURSE_LOSSES = [1.0, 0.64, 0.4096, 0.262144, 0.16777216, 0.1073741824]


def reference_descent(loss, w0, lr, steps, device, *, mode="reference"):
    """torch.optim.SGD on a copy of w0; the other modes reproduce known mistakes."""
    loss_fn = make_loss(loss, w0.dtype, device)
    w = w0.to(device).clone().requires_grad_()
    optimizer = SGD([w], lr=lr)
    losses = []
    for _ in range(steps):
        if mode != "accumulate":
            optimizer.zero_grad()
        value = loss_fn(w)
        losses.append(value.item())
        value.backward()
        if mode == "ascent":
            w.grad.neg_()
        optimizer.step()
    if mode == "after":
        losses = losses[1:] + [loss_fn(w).item()] if steps else []
    return w.detach(), losses


DESCENT_MISTAKES = {
    "each loss was recorded after its update: losses[k] is the loss *before* update k (losses[0] is the "
    "loss at w0).": "after",
    "the gradients accumulated from step to step: backward() adds to w.grad, so clear it after each update "
    "(w.grad = None or w.grad.zero_()).": "accumulate",
    "w moved uphill: subtract lr * gradient, do not add it.": "ascent",
}


def descent_problem(name, rng, dtype):
    def randn(*shape):
        return torch.randn(*shape, generator=rng, dtype=torch.float64)
    if name == "quadratic":
        q = randn(5, 5)
        loss = {"name": "quadratic", "curvature": q @ q.T / 5 + 0.5 * torch.eye(5, dtype=torch.float64),
                "centre": randn(5)}
        return loss, randn(5).to(dtype), 0.1, 25
    if name == "least_squares":
        loss = {"name": "least_squares", "inputs": randn(12, 4), "targets": randn(12, 3)}
        return loss, randn(4, 3).to(dtype), 0.1, 25
    inputs = randn(20, 3)
    labels = (inputs @ randn(3) + 0.5 * randn(20) > 0).double()
    return {"name": "logistic", "inputs": inputs, "labels": labels}, randn(3).to(dtype), 0.5, 25


def run_descent(submission, loss, w0, lr, steps, device="cpu", watch=False):
    what = f"gradient_descent({loss['name']} loss, <{str(w0.dtype).removeprefix('torch.')} w0 of shape " \
           f"{tuple(w0.shape)}>, lr={lr}, steps={{}}) on {device}"
    report = probe(submission, f"{PROBES}:gradient_descent", what=what.format(steps), loss=loss, w0=w0, lr=lr,
                   steps=list(steps) if isinstance(steps, (list, tuple)) else [steps], device=device, watch=watch)
    return report, what


def descent_output(run: dict, what: str):
    expect_no_exception(run, what)
    if "w_type" not in run:
        fail(f"{what} returned a {run['output_type']}; expected a pair (w, losses)")
    if not isinstance(run.get("w"), torch.Tensor):
        fail(f"{what} returned w as a {run['w_type']}; expected a tensor")
    if run.get("losses") is None:
        fail(f"{what} returned losses as a {run['losses_type']}; expected a list of Python floats")
    return run["w"], run["losses"]


def expect_descent(run, what, loss, w0, lr, steps, device, *, mistakes=True):
    w, losses = descent_output(run, what)
    want_w, want_losses = reference_descent(loss, w0, lr, steps, device)

    def guess():
        if not mistakes:
            return None
        return matching_mistake([w, losses], {
            hint: (lambda mode=mode: list(reference_descent(loss, w0, lr, steps, "cpu", mode=mode)))
            for hint, mode in DESCENT_MISTAKES.items()}, device, w0.dtype)

    if len(losses) != steps:
        fail(f"{what}: {len(losses)} losses came back, {steps} expected: one per update, each the loss before "
             "that update (range(steps), no extra evaluation at the end).")
    got_losses = flat(losses).to(w0.dtype)
    expected_losses = torch.tensor(want_losses, dtype=w0.dtype)
    if mismatch(got_losses, expected_losses, device) is not None:
        fail_values(f"{what}: the losses differ from those of the same loop with torch.optim.SGD.",
                    expected_losses, got_losses, device, hint=guess())
    if mismatch(w, want_w, device) is not None:
        fail_values(f"{what}: the final w differs from the one torch.optim.SGD reaches.", want_w, w, device,
                    hint=guess())


@points(3, "gradient_descent")
def test_gradient_descent_reproduces_the_course_table(submission, device, dtype):
    w0 = torch.tensor(2.0, dtype=dtype)
    loss = {"name": "course"}
    report, what = run_descent(submission, loss, w0, 0.1, [1, 2, 3, 4, 5, 6], device)
    got_w = []
    for steps, run in enumerate(report["runs"], start=1):
        w, losses = descent_output(run, what.format(steps))
        got_w.append(w)
    expected_w = torch.tensor(COURSE_W, dtype=dtype)
    expected_losses = torch.tensor(COURSE_LOSSES, dtype=dtype)
    got_losses = flat(losses).to(dtype)
    w_column = flat(got_w).to(dtype)
    if (len(got_w) != 6 or w_column.shape != expected_w.shape or got_losses.shape != expected_losses.shape
            or mismatch(w_column, expected_w, device) or mismatch(got_losses, expected_losses, device)):
        rows = [f"    step {k + 1}: expected w={COURSE_W[k]:<9.7g} loss={COURSE_LOSSES[k]:<12.10g}  got "
                f"w={w_column[k].item() if k < len(w_column) else float('nan'):<11.7g} "
                f"loss={got_losses[k].item() if k < len(got_losses) else float('nan'):.10g}" for k in range(6)]
        guess = matching_mistake([got_w[-1], losses], {
            hint: (lambda mode=mode: list(reference_descent(loss, w0, 0.1, 6, "cpu", mode=mode)))
            for hint, mode in DESCENT_MISTAKES.items()}, device, dtype)
        fail("\n".join([f"{what.format('1..6')}: the course's table (loss (w-1)^2 from w=2, lr=0.1; w after "
                        "each step, loss before it) is not reproduced:", *rows]
                       + ([f"  Hint: {guess}"] if guess else [])))


@pytest.mark.parametrize("problem", ["quadratic", "least_squares", "logistic"])
@points(3, "gradient_descent")
def test_gradient_descent_matches_torch_optim_sgd(submission, device, dtype, problem, rng):
    loss, w0, lr, steps = descent_problem(problem, rng, dtype)
    report, what = run_descent(submission, loss, w0, lr, steps, device)
    expect_descent(report["runs"][0], what.format(steps), loss, w0, lr, steps, device)


@points(1, "gradient_descent")
def test_gradient_descent_returns_a_detached_tensor_and_python_floats(submission, device, dtype, rng):
    loss, w0, lr, steps = descent_problem("least_squares", rng, dtype)
    report, what = run_descent(submission, loss, w0, lr, steps, device)
    run, what = report["runs"][0], what.format(steps)
    expect_descent(run, what, loss, w0, lr, steps, device, mistakes=False)
    if run["w_type"] != "torch.Tensor":
        fail(f"{what} returned w as a {run['w_type']}; it must be exactly a torch.Tensor.")
    if run["w_requires_grad"] or run["w_has_grad_fn"]:
        fail(f"{what} returned a w that {'has a grad_fn' if run['w_has_grad_fn'] else 'requires grad'}: return "
             "w.detach(), a plain tensor outside any graph."
             + (" Its grad_fn shows that the updates were recorded by autograd: run them under torch.no_grad()."
                if run["w_has_grad_fn"] else ""))
    if run["w_dtype"] != str(dtype) or run["w_device"] != device or run["w_shape"] != list(w0.shape):
        fail(f"{what} returned w as a {run['w_dtype']} tensor of shape {tuple(run['w_shape'])} on "
             f"{run['w_device']}; expected {dtype} of shape {tuple(w0.shape)} on {device}, like w0.")
    if run["losses_type"] != "list" or run["loss_types"] not in ([], ["float"]):
        fail(f"{what} returned losses as a {run['losses_type']} of {', '.join(run['loss_types'])}; expected a list "
             "of Python floats: record loss.item(), which also keeps each step's graph from being held on to.")


@points(1, "gradient_descent")
def test_gradient_descent_leaves_w0_untouched(submission, rng):
    loss, w0, lr, steps = descent_problem("quadratic", rng, torch.float64)
    report, what = run_descent(submission, loss, w0, lr, steps)
    run, what = report["runs"][0], what.format(steps)
    expect_descent(run, what, loss, w0, lr, steps, "cpu", mistakes=False)
    if run["w0_changed"] or run["w0_requires_grad"] or run["w0_grad"]:
        changes = [text for flag, text in ((run["w0_changed"], "its values changed"),
                                           (run["w0_requires_grad"], "it now requires grad"),
                                           (run["w0_grad"], "it now has a .grad")) if flag]
        fail(f"{what} modified the caller's w0: {', '.join(changes)}. Hint: start from a copy, "
             "w = w0.detach().clone().requires_grad_(), and update that.")


@points(1, "gradient_descent")
def test_gradient_descent_with_zero_steps_returns_w0_and_no_losses(submission, rng):
    loss, w0, lr, _ = descent_problem("logistic", rng, torch.float64)
    report, what = run_descent(submission, loss, w0, lr, [3, 0])
    expect_descent(report["runs"][0], what.format(3), loss, w0, lr, 3, "cpu", mistakes=False)
    w, losses = descent_output(report["runs"][1], what.format(0))
    if losses != [] or mismatch(w, w0) is not None:
        fail_values(f"{what.format(0)} should return (a copy of w0, []); it returned {len(losses)} losses and "
                    "this w.", w0, w, "cpu",
                    hint="with steps=0 the loop body never runs: return values defined before the loop.")


@points(1, "gradient_descent")
def test_gradient_descent_uses_no_torch_optim(submission, rng):
    loss, w0, lr, steps = descent_problem("quadratic", rng, torch.float32)
    report, what = run_descent(submission, loss, w0, lr, steps, watch=True)
    expect_descent(report["runs"][0], what.format(steps), loss, w0, lr, steps, "cpu", mistakes=False)
    expect_no_torch_optim(submission, report, "gradient_descent")


# ---------------------------------------------------------------- sgd_step

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


def manual_step(params, grads, rule):
    return [value.clone() if grad is None else rule(value, grad) for value, grad in zip(params, grads)]


def step_once(submission, function, params, grads, args, device="cpu", watch=False):
    shown = ", ".join(f"<{tuple(p.shape)}{'' if g is not None else ', grad None'}>" for p, g in zip(params, grads))
    what = f"{function}([{shown}], {', '.join(map(repr, args))}) on {device}"
    report = probe(submission, f"{PROBES}:step_once", what=what, function=function, params=params, grads=grads,
                   args=list(args), device=device, watch=watch)
    expect_no_exception(report, what)
    return report, what


def expect_step(report, what, expected, device, dtype, mistakes=None):
    for index, (got, want) in enumerate(zip(report["values"], expected)):
        if mismatch(got, want, device) is not None:
            hint = matching_mistake(report["values"], mistakes, device, dtype)
            fail_values(f"{what}: parameter {index} (shape {tuple(want.shape)}) after the step differs from "
                        "torch.optim.SGD's.", want, got, device, hint=hint)


SGD_STEP_MISTAKES = {
    "the parameters did not change: `p = p - lr * p.grad` builds a new tensor and only rebinds a name (and "
    "replacing the list's items leaves the caller's tensors alone); update each tensor in place "
    "(p -= lr * p.grad, or p.sub_(...)) under torch.no_grad().": lambda p, g, lr: p.clone(),
    "the parameters moved uphill: subtract lr * gradient, do not add it.": lambda p, g, lr: p + lr * g,
    "the step ignores the learning rate: p -= lr * p.grad.": lambda p, g, lr: p - g,
}


def sgd_model_mistakes(lr, **options) -> dict:
    """torch.optim.SGD set up to reproduce the known mistakes of a step function, on a model problem."""
    hints = list(SGD_STEP_MISTAKES)
    return {hints[0]: lambda params: SGD(params, lr=0.0, **options),
            hints[1]: lambda params: SGD(params, lr=lr, maximize=True, **options),
            hints[2]: lambda params: SGD(params, lr=1.0, **options)}


def sgd_mistakes(params, grads, lr):
    return {hint: manual_step(params, grads, lambda p, g, rule=rule: rule(p, g, lr))
            for hint, rule in SGD_STEP_MISTAKES.items()}


@points(2, "sgd_step")
def test_sgd_step_matches_one_torch_optim_sgd_step(submission, device, dtype, rng):
    params, grads = random_params(rng, dtype)
    report, what = step_once(submission, "sgd_step", params, grads, [0.1], device)
    expect_step(report, what, reference_step(params, grads, device, lr=0.1), device, dtype,
                sgd_mistakes(params, grads, 0.1))


@points(2, "sgd_step")
def test_sgd_step_trains_a_model_like_torch_optim_sgd(submission, device, dtype, rng):
    problem = {"seed": seed_from(rng), "steps": 30, "sizes": [4, 8, 3]}
    what = f"training a 4-8-3 tanh network for 30 steps with sgd_step(params, lr=0.2) on {device}, {dtype}"
    report = probe(submission, f"{PROBES}:train_with_step", what=what, function="sgd_step", args=[0.2],
                   problem=problem, dtype=str(dtype), device=device)
    expect_no_exception(report, what)
    expected = model_trajectory(lambda model: SGD(model.parameters(), lr=0.2), problem, dtype, device)
    expect_model_run(report, expected, what=what, reference="torch.optim.SGD", device=device, dtype=dtype,
                     mistakes=model_mistakes(sgd_model_mistakes(0.2), problem, dtype))


@points(1, "sgd_step")
def test_sgd_step_skips_parameters_without_a_gradient(submission, rng):
    params, grads = random_params(rng, torch.float64)
    grads[1] = None
    report, what = step_once(submission, "sgd_step", params, grads, [0.1])
    expected = reference_step(params, grads, "cpu", lr=0.1)
    expect_step(report, what, expected, "cpu", torch.float64, sgd_mistakes(params, grads, 0.1))


@points(1, "sgd_step")
def test_sgd_step_keeps_the_same_leaf_tensors_and_builds_no_graph(submission, rng):
    params, grads = random_params(rng, torch.float64)
    report, what = step_once(submission, "sgd_step", params, grads, [0.05])
    expect_step(report, what, reference_step(params, grads, "cpu", lr=0.05), "cpu", torch.float64)
    expect_same_leaves(report, what)


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


@points(1, "sgd_step")
def test_sgd_step_uses_no_torch_optim(submission, rng):
    params, grads = random_params(rng, torch.float32)
    report, what = step_once(submission, "sgd_step", params, grads, [0.1], watch=True)
    expect_step(report, what, reference_step(params, grads, "cpu", lr=0.1), "cpu", torch.float32)
    expect_no_torch_optim(submission, report, "sgd_step")


# ---------------------------------------------------------------- Adam

LINEAR_SHAPES = [[3, 4], [5], [2, 3, 2]]


def run_optimizer(submission, cls, kwargs, problem, dtype, device, *, watch=False):
    shown = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    what = (f"{cls}(params{', ' if shown else ''}{shown}) on {len(problem['shapes'])} parameters receiving "
            f"{'tiny ' if problem.get('scales') and max(problem['scales']) < 1e-6 else ''}gradients for "
            f"{problem['steps']} steps ({dtype}, {device})")
    report = probe(submission, f"{PROBES}:optimizer_linear", what=what, cls=cls, kwargs=kwargs, problem=problem,
                   dtype=str(dtype), device=device, watch=watch)
    expect_no_exception(report, what)
    return report, what


def check_linear(submission, cls, reference, kwargs, problem, dtype, device, mistakes, *, reference_name,
                 watch=False, hint=None):
    report, what = run_optimizer(submission, cls, kwargs, problem, dtype, device, watch=watch)
    expected = linear_trajectory(lambda params: reference(params, **kwargs), problem, dtype, device)
    expect_trajectory(report["snapshots"], expected, problem["checkpoints"], what=what, reference=reference_name,
                      device=device, dtype=dtype, mistakes=linear_mistakes(mistakes, problem, dtype) if mistakes
                      else None, hint=hint)
    return report


def linear(rng, steps, checkpoints, **extra):
    return {"seed": seed_from(rng), "shapes": LINEAR_SHAPES, "steps": steps, "checkpoints": checkpoints, **extra}


ADAM_DEFAULTS = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
WRONG_DEFAULTS = {"this is what lr=0.01 gives: the defaults are torch.optim.Adam's, lr=1e-3, betas=(0.9, 0.999), "
                  "eps=1e-8.": dict(lr=1e-2)}


IGNORED_ARGUMENTS = {
    "this is what betas=(0.9, 0.999) and eps=1e-8 give: use the betas and eps passed to the constructor, not the "
    "defaults.": dict(betas=(0.9, 0.999), eps=1e-8),
    "this is what lr=1e-3 gives: use the lr passed to the constructor, not the default.": dict(lr=1e-3),
}


@points(3, "Adam")
def test_adam_matches_torch_optim_adam_over_120_steps(submission, device, dtype, rng):
    problem = linear(rng, 120, [1, 2, 3, 10, 50, 120])
    mistakes = sketch_variants(ADAM_DEFAULTS, {**ADAM_MISTAKES, **WRONG_DEFAULTS})
    check_linear(submission, "Adam", ADAM, {}, problem, dtype, device, mistakes, reference_name="torch.optim.Adam")


@points(2, "Adam")
def test_adam_matches_torch_optim_adam_for_tiny_gradients(submission, device, dtype, rng):
    problem = linear(rng, 30, [1, 2, 3, 10, 30], scales=[1e-9, 3e-8, 1e-8])
    kwargs = dict(lr=1e-2)
    mistakes = sketch_variants({**ADAM_DEFAULTS, **kwargs}, ADAM_MISTAKES)
    check_linear(submission, "Adam", ADAM, kwargs, problem, dtype, device, mistakes,
                 reference_name="torch.optim.Adam")


@points(2, "Adam")
def test_adam_keeps_a_step_count_per_parameter(submission, device, dtype, rng):
    problem = linear(rng, 40, [6, 7, 8, 20, 40], silent=[[1, 6]])
    kwargs = dict(lr=0.05)
    mistakes = sketch_variants({**ADAM_DEFAULTS, **kwargs}, ADAM_MISTAKES)
    check_linear(submission, "Adam", ADAM, kwargs, problem, dtype, device, mistakes,
                 reference_name="torch.optim.Adam",
                 hint="parameter 1 gets no gradient during the first 6 steps: it must be skipped then, and its "
                      "own step count starts at 1 on its first update.")


def check_model(submission, cls, reference, kwargs, problem, dtype, device, mistakes, *, reference_name):
    shown = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    what = (f"training a 4-8-3 tanh network for {problem['steps']} steps with {cls}(model.parameters(), {shown}) "
            f"on {device}, {dtype}")
    report = probe(submission, f"{PROBES}:optimizer_model", what=what, cls=cls, kwargs=kwargs, problem=problem,
                   dtype=str(dtype), device=device)
    expect_no_exception(report, what)
    expected = model_trajectory(lambda model: reference(model.parameters(), **kwargs), problem, dtype, device)
    expect_model_run(report, expected, what=what, reference=reference_name, device=device, dtype=dtype,
                     mistakes=model_mistakes(mistakes, problem, dtype))


@points(2, "Adam")
def test_adam_trains_a_model_like_torch_optim_adam(submission, device, dtype, rng):
    problem = {"seed": seed_from(rng), "steps": 40, "sizes": [4, 8, 3]}
    kwargs = dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6)
    mistakes = sketch_variants(kwargs, {**ADAM_MISTAKES, **IGNORED_ARGUMENTS})
    check_model(submission, "Adam", ADAM, kwargs, problem, dtype, device, mistakes, reference_name="torch.optim.Adam")


def first_steps_right(submission, cls, reference, kwargs, rng, reference_name):
    """Gate for the contract checks: the optimizer must first take its first three steps right."""
    problem = linear(rng, 3, [1, 2, 3])
    report, what = run_optimizer(submission, cls, kwargs, problem, torch.float64, "cpu")
    expected = linear_trajectory(lambda params: reference(params, **kwargs), problem, torch.float64, "cpu")
    for got_params, want_params in zip(report["snapshots"], expected):
        if any(mismatch(a, b) is not None for a, b in zip(got_params, want_params)):
            fail(f"not checked yet: {what} must first take its first three steps as {reference_name} does "
                 "(see the check that compares them step by step).")


def check_zero_grad(submission, cls, reference, kwargs, rng, reference_name):
    first_steps_right(submission, cls, reference, kwargs, rng, reference_name)
    what = f"{cls}(params).zero_grad() after a backward() that gave gradients to 2 of 3 parameters"
    report = probe(submission, f"{PROBES}:optimizer_zero_grad", what=what, cls=cls, kwargs=kwargs,
                   shapes=[[3, 2], [4], [2]], seed=seed_from(rng))
    expect_no_exception(report, what)
    if report["grads"][:2] not in (["none", "none"], ["zeros", "zeros"]) or report["grads"][2] != "none":
        fail(f"{what} left the gradients as {report['grads']}; expected every gradient cleared (None, as "
             "torch.optim does by default, or zeros) and the parameter without a gradient left alone.")


@points(1, "Adam")
def test_adam_zero_grad_clears_every_gradient(submission, rng):
    check_zero_grad(submission, "Adam", ADAM, {"lr": 0.1}, rng, "torch.optim.Adam")


INVALID_ADAM = [{"lr": -0.01}, {"betas": (1.0, 0.999)}, {"betas": (0.9, -0.5)}, {"eps": -1e-8}]


def check_rejects(submission, cls, reference, cases, rng, reference_name):
    first_steps_right(submission, cls, reference, {"lr": 0.1}, rng, reference_name)
    report = probe(submission, f"{PROBES}:optimizer_rejects", what=f"{cls}(params, <invalid arguments>)", cls=cls,
                   cases=cases)
    for kwargs, raised in zip(cases, report["outcomes"]):
        shown = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
        if not raised or "ValueError" not in raised["bases"]:
            got = f"raised {raised['message']}" if raised else "returned without raising"
            fail(f"{cls}(params, {shown}) {got}; {reference_name} raises ValueError for it, and so must yours "
                 "(lr >= 0, 0 <= beta < 1 for both betas, eps >= 0"
                 + (", weight_decay >= 0)." if cls == "AdamW" else ")."))


@points(1, "Adam")
def test_adam_rejects_invalid_hyperparameters(submission, rng):
    check_rejects(submission, "Adam", ADAM, INVALID_ADAM, rng, "torch.optim.Adam")


def check_device(submission, cls, reference, kwargs, rng, reference_name):
    first_steps_right(submission, cls, reference, kwargs, rng, reference_name)
    problem = linear(rng, 3, [3])
    what = f"{cls}(params) stepping parameters that live on another device (meta)"
    report = probe(submission, f"{PROBES}:optimizer_linear", what=what, cls=cls, kwargs=kwargs, problem=problem,
                   dtype="torch.float32", device="meta")
    raised = report.get("raised")
    if raised and "device" in raised["message"]:
        fail(f"{what} mixes tensors of different devices: on a GPU it would fail with {raised['message']}\n"
             "  Hint: create the state with torch.zeros_like(p) (or p.new_zeros(...)), never torch.zeros(p.shape), "
             "which lands on the default device.")
    expect_no_exception(report, what)
    if report["devices"] != ["meta"]:
        fail(f"{what} moved the parameters to {report['devices']}; they must stay where they are.")


@points(1, "Adam")
def test_adam_creates_no_tensor_on_another_device(submission, rng):
    check_device(submission, "Adam", ADAM, {"lr": 0.1}, rng, "torch.optim.Adam")


@points(1, "Adam")
def test_adam_uses_no_torch_optim(submission, rng):
    problem = linear(rng, 3, [1, 2, 3])
    report = check_linear(submission, "Adam", ADAM, {"lr": 0.1}, problem, torch.float32, "cpu", None,
                          reference_name="torch.optim.Adam", watch=True)
    expect_no_torch_optim(submission, report, "Adam")
