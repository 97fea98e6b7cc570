"""Graders for the `gradient_descent` assignment: gradient_descent, sgd_step and Adam, against the
course's worked example and the trajectories of torch.optim.SGD and torch.optim.Adam."""

from __future__ import annotations


import pytest
import torch

from graders.checks import points, probe
from graders.checks.compare import fail, mismatch
from graders.checks.optim import (ADAM_MISTAKES, IGNORED_ARGUMENTS, check_device, check_linear, check_model,
                                  check_no_torch_optim_class, check_rejects, check_zero_grad, expect_gradients_kept,
                                  expect_model_run, expect_no_exception, expect_no_torch_optim, expect_same_leaves,
                                  expect_step, fail_values, flat, linear, matching_mistake, model_mistakes,
                                  random_params, reference_step, seed_from, sketch_variants, step_once)
from graders.probes import gradient_descent as descent_probes, optim as optim_probes
from graders.probes.gradient_descent import make_loss
from graders.probes.optim import model_trajectory

# Imported once, before the first submission, by the zygote and a batch's judges (runner.libraries):
# torch.optim's step imports torch._dynamo; the notebook plots with matplotlib.
LIBRARIES = ("torch._dynamo", "matplotlib.pyplot")

# References are bound when this module is imported, before any submission is loaded.
SGD = torch.optim.SGD
ADAM = torch.optim.Adam
_sqrt = torch.sqrt
_cat = torch.cat
_zeros_like = torch.zeros_like



# ---------------------------------------------------------------- shared by both optimisation assignments


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
    report = probe(submission, descent_probes.gradient_descent, what=what.format(steps), loss=loss, w0=w0, lr=lr,
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


@points(3, "gradient_descent", kind="value")
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
@points(3, "gradient_descent", kind="value")
def test_gradient_descent_matches_torch_optim_sgd(submission, device, dtype, problem, rng):
    loss, w0, lr, steps = descent_problem(problem, rng, dtype)
    report, what = run_descent(submission, loss, w0, lr, steps, device)
    expect_descent(report["runs"][0], what.format(steps), loss, w0, lr, steps, device)


@points(1, "gradient_descent", kind="rule")
def test_gradient_descent_returns_a_detached_tensor_and_python_floats(submission, device, dtype, rng):
    loss, w0, lr, steps = descent_problem("least_squares", rng, dtype)
    report, what = run_descent(submission, loss, w0, lr, steps, device)
    run, what = report["runs"][0], what.format(steps)
    descent_output(run, what)
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


@points(1, "gradient_descent", kind="rule")
def test_gradient_descent_leaves_w0_untouched(submission, rng):
    loss, w0, lr, steps = descent_problem("quadratic", rng, torch.float64)
    report, what = run_descent(submission, loss, w0, lr, steps)
    run, what = report["runs"][0], what.format(steps)
    expect_no_exception(run, what)
    if run["w0_changed"] or run["w0_requires_grad"] or run["w0_grad"]:
        changes = [text for flag, text in ((run["w0_changed"], "its values changed"),
                                           (run["w0_requires_grad"], "it now requires grad"),
                                           (run["w0_grad"], "it now has a .grad")) if flag]
        fail(f"{what} modified the caller's w0: {', '.join(changes)}. Hint: start from a copy, "
             "w = w0.detach().clone().requires_grad_(), and update that.")


@points(1, "gradient_descent", kind="value")
def test_gradient_descent_with_zero_steps_returns_w0_and_no_losses(submission, rng):
    loss, w0, lr, _ = descent_problem("logistic", rng, torch.float64)
    report, what = run_descent(submission, loss, w0, lr, [3, 0])
    expect_descent(report["runs"][0], what.format(3), loss, w0, lr, 3, "cpu", mistakes=False)
    w, losses = descent_output(report["runs"][1], what.format(0))
    if losses != [] or mismatch(w, w0) is not None:
        fail_values(f"{what.format(0)} should return (a copy of w0, []); it returned {len(losses)} losses and "
                    "this w.", w0, w, "cpu",
                    hint="with steps=0 the loop body never runs: return values defined before the loop.")


@points(1, "gradient_descent", kind="forbidden")
def test_gradient_descent_uses_no_torch_optim(submission, rng):
    loss, w0, lr, steps = descent_problem("quadratic", rng, torch.float32)
    report, what = run_descent(submission, loss, w0, lr, steps, watch=True)
    expect_no_torch_optim(submission, report, "gradient_descent")


# ---------------------------------------------------------------- sgd_step


def manual_step(params, grads, rule):
    return [value.clone() if grad is None else rule(value, grad) for value, grad in zip(params, grads)]


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


@points(2, "sgd_step", kind="value")
def test_sgd_step_matches_one_torch_optim_sgd_step(submission, device, dtype, rng):
    params, grads = random_params(rng, dtype)
    report, what = step_once(submission, "sgd_step", params, grads, [0.1], device)
    expect_step(report, what, reference_step(params, grads, device, lr=0.1), device, dtype,
                sgd_mistakes(params, grads, 0.1))
    expect_gradients_kept(report["grads_cleared"], what)


@points(2, "sgd_step", kind="value")
def test_sgd_step_trains_a_model_like_torch_optim_sgd(submission, device, dtype, rng):
    problem = {"seed": seed_from(rng), "steps": 30, "sizes": [4, 8, 3]}
    what = f"training a 4-8-3 tanh network for 30 steps with sgd_step(params, lr=0.2) on {device}, {dtype}"
    report = probe(submission, optim_probes.train_with_step, what=what, function="sgd_step", args=[0.2],
                   problem=problem, dtype=str(dtype), device=device)
    expect_no_exception(report, what)
    expected = model_trajectory(lambda model: SGD(model.parameters(), lr=0.2), problem, dtype, device)
    expect_model_run(report, expected, what=what, reference="torch.optim.SGD", device=device, dtype=dtype,
                     mistakes=model_mistakes(sgd_model_mistakes(0.2), problem, dtype))


@points(1, "sgd_step", kind="value")
def test_sgd_step_skips_parameters_without_a_gradient(submission, rng):
    params, grads = random_params(rng, torch.float64)
    grads[1] = None
    report, what = step_once(submission, "sgd_step", params, grads, [0.1])
    expected = reference_step(params, grads, "cpu", lr=0.1)
    expect_step(report, what, expected, "cpu", torch.float64, sgd_mistakes(params, grads, 0.1))


@points(1, "sgd_step", kind="rule")
def test_sgd_step_keeps_the_same_leaf_tensors_and_builds_no_graph(submission, rng):
    params, grads = random_params(rng, torch.float64)
    report, what = step_once(submission, "sgd_step", params, grads, [0.05])
    expect_same_leaves(report, what)


@points(1, "sgd_step", kind="forbidden")
def test_sgd_step_uses_no_torch_optim(submission, rng):
    params, grads = random_params(rng, torch.float32)
    report = probe(submission, optim_probes.step_once, what="sgd_step(params, 0.1)", function="sgd_step",
                   params=params, grads=grads, args=[0.1], watch=True)
    expect_no_torch_optim(submission, report, "sgd_step")


# ---------------------------------------------------------------- Adam


ADAM_DEFAULTS = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
WRONG_DEFAULTS = {"this is what lr=0.01 gives: the defaults are torch.optim.Adam's, lr=1e-3, betas=(0.9, 0.999), "
                  "eps=1e-8.": dict(lr=1e-2)}


@points(3, "Adam", kind="value")
def test_adam_matches_torch_optim_adam_over_120_steps(submission, device, dtype, rng):
    problem = linear(rng, 120, [1, 2, 3, 10, 50, 120])
    mistakes = sketch_variants(ADAM_DEFAULTS, {**ADAM_MISTAKES, **WRONG_DEFAULTS})
    check_linear(submission, "Adam", ADAM, {}, problem, dtype, device, mistakes, reference_name="torch.optim.Adam",
                 gradients_kept=True)


@points(2, "Adam", kind="value")
def test_adam_matches_torch_optim_adam_for_tiny_gradients(submission, device, dtype, rng):
    problem = linear(rng, 30, [1, 2, 3, 10, 30], scales=[1e-9, 3e-8, 1e-8])
    kwargs = dict(lr=1e-2)
    mistakes = sketch_variants({**ADAM_DEFAULTS, **kwargs}, ADAM_MISTAKES)
    check_linear(submission, "Adam", ADAM, kwargs, problem, dtype, device, mistakes,
                 reference_name="torch.optim.Adam")


@points(2, "Adam", kind="value")
def test_adam_keeps_a_step_count_per_parameter(submission, device, dtype, rng):
    problem = linear(rng, 40, [6, 7, 8, 20, 40], silent=[[1, 6]])
    kwargs = dict(lr=0.05)
    mistakes = sketch_variants({**ADAM_DEFAULTS, **kwargs}, ADAM_MISTAKES)
    check_linear(submission, "Adam", ADAM, kwargs, problem, dtype, device, mistakes,
                 reference_name="torch.optim.Adam",
                 hint="parameter 1 gets no gradient during the first 6 steps: it must be skipped then, and its "
                      "own step count starts at 1 on its first update.")


@points(2, "Adam", kind="value")
def test_adam_trains_a_model_like_torch_optim_adam(submission, device, dtype, rng):
    problem = {"seed": seed_from(rng), "steps": 40, "sizes": [4, 8, 3]}
    kwargs = dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6)
    mistakes = sketch_variants(kwargs, {**ADAM_MISTAKES, **IGNORED_ARGUMENTS})
    check_model(submission, "Adam", ADAM, kwargs, problem, dtype, device, mistakes, reference_name="torch.optim.Adam")


@points(1, "Adam", kind="rule")
def test_adam_zero_grad_clears_every_gradient(submission, rng):
    check_zero_grad(submission, "Adam", {"lr": 0.1}, rng)


INVALID_ADAM = [{"lr": -0.01}, {"betas": (1.0, 0.999)}, {"betas": (0.9, -0.5)}, {"eps": -1e-8}]


@points(1, "Adam", kind="rule")
def test_adam_rejects_invalid_hyperparameters(submission, rng):
    check_rejects(submission, "Adam", INVALID_ADAM, "torch.optim.Adam")


@points(1, "Adam", kind="rule")
def test_adam_creates_no_tensor_on_another_device(submission, rng):
    check_device(submission, "Adam", {"lr": 0.1}, rng)


@points(1, "Adam", kind="forbidden")
def test_adam_uses_no_torch_optim(submission, rng):
    check_no_torch_optim_class(submission, "Adam", {"lr": 0.1}, rng)
