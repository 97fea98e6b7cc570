"""Graders for the `gradient_zeroing` assignment: zero_grad against Optimizer.zero_grad,
train_step against the four-line training step, accumulate_gradients against one full-batch
backward pass."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from graders.checks import points, probe
from graders.checks.compare import expect_close, fail
from graders.probes import gradient_zeroing as gradient_zeroing_probes

# Imported once, before the first submission, by the zygote and a batch's judges (runner.libraries):
# torch.optim's step imports torch._dynamo.
LIBRARIES = ("torch._dynamo",)

# References are bound when this module is imported, before any submission is loaded.
SGD = torch.optim.SGD
LINEAR, TANH, SEQUENTIAL = nn.Linear, nn.Tanh, nn.Sequential
LOSSES = {"mse": nn.MSELoss, "cross_entropy": nn.CrossEntropyLoss}
NO_GRAD = torch.no_grad


# ---------------------------------------------------------------- models and data, drawn by the judge

SIZES = (3, 5, 2)


def draw_state(rng, dtype, sizes=SIZES):
    """Initial values of W1, b1, W2, b2 for nn.Linear(in, hidden) -> nn.Tanh() -> nn.Linear(hidden, out)."""
    n_in, n_hidden, n_out = sizes
    randn = lambda *shape: torch.randn(*shape, generator=rng, dtype=dtype)  # noqa: E731
    return [randn(n_hidden, n_in) * 0.6, randn(n_hidden) * 0.2, randn(n_out, n_hidden) * 0.6, randn(n_out) * 0.2]


def draw_batches(rng, dtype, loss, batch_sizes, sizes=SIZES):
    n_in, _, n_out = sizes
    batches = []
    for size in batch_sizes:
        inputs = torch.randn(size, n_in, generator=rng, dtype=dtype)
        if loss == "mse":
            targets = torch.randn(size, n_out, generator=rng, dtype=dtype)
        else:
            targets = torch.randint(n_out, (size,), generator=rng)
        batches.append((inputs, targets))
    return batches


def make_model(state, device, sizes=SIZES):
    n_in, n_hidden, n_out = sizes
    dtype = state[0].dtype
    model = SEQUENTIAL(LINEAR(n_in, n_hidden, device="meta", dtype=dtype), TANH(),
                       LINEAR(n_hidden, n_out, device="meta", dtype=dtype)).to_empty(device=device)
    with NO_GRAD():
        for parameter, value in zip(model.parameters(), state):
            parameter.copy_(value)
    return model


def set_grads(model, grads, device):
    for parameter, grad in zip(model.parameters(), grads or ()):
        parameter.grad = None if grad is None else grad.to(device).clone()


def flat(tensors):
    return torch.cat([tensor.detach().reshape(-1).cpu() for tensor in tensors])


# ---------------------------------------------------------------- zero_grad

def gradients_case(rng, dtype):
    """Three parameters with gradients and one without, as after a backward pass that did not reach it."""
    shapes = [(4, 3), (4,), (2, 4), (2,)]
    values = [torch.randn(shape, generator=rng, dtype=dtype) for shape in shapes]
    grads = [torch.randn(shape, generator=rng, dtype=dtype) for shape in shapes]
    grads[1] = None
    return values, grads


def reference_zero_grad(values, grads, set_to_none):
    """What Optimizer.zero_grad leaves in each .grad."""
    params = [value.clone().requires_grad_() for value in values]
    for parameter, grad in zip(params, grads):
        parameter.grad = None if grad is None else grad.clone()
    SGD(params, lr=0.0).zero_grad(set_to_none=set_to_none)
    return [parameter.grad for parameter in params]


def run_zero_grad(submission, values, grads, *, device="cpu", set_to_none="default", container="list"):
    call = "zero_grad(params)" if set_to_none == "default" else f"zero_grad(params, set_to_none={set_to_none})"
    what = f"{call} with params {'a generator' if container == 'generator' else 'a list'} of " \
           f"{len(values)} {str(values[0].dtype).removeprefix('torch.')} tensors on {device}"
    report = probe(submission, gradient_zeroing_probes.zero_grads, what=what, values=values, grads=grads,
                   device=device, set_to_none=set_to_none, container=container)
    if report["raised"]:
        hints = [("has no len", "model.parameters() is a generator: it has no len() and no indexing, and can be "
                                "gone through only once; loop over it with `for p in params`."),
                 ("NoneType", "some parameters have no gradient (their .grad is None): skip them, as "
                              "Optimizer.zero_grad does.")]
        hint = next((text for pattern, text in hints if pattern in report["raised"]["message"]), None)
        fail(f"{what} raised {report['raised']['message']}" + (f"\n  Hint: {hint}" if hint else ""))
    return report, what


def expect_grads_zeroed(report, what, grads, set_to_none):
    """Fail unless every parameter that had a gradient now has None (set_to_none) or zeros."""
    expected = reference_zero_grad(report["params"], grads, set_to_none)
    for index, (got, want) in enumerate(zip(report["grads"], expected)):
        if grads[index] is None:
            continue
        where = f"{what}: parameter {index} (shape {tuple(grads[index].shape)})"
        if want is None and got is not None:
            hint = ("its gradient was zeroed but should be None: set_to_none defaults to True, as in "
                    "Optimizer.zero_grad; assign p.grad = None." if got.abs().max() == 0 else
                    "its gradient was not cleared at all.")
            fail(f"{where} still has a gradient afterwards; expected None.\n  Hint: {hint}")
        if want is not None:
            if got is None:
                fail(f"{where} has grad None afterwards; with set_to_none=False the gradient must stay a tensor "
                     "holding zeros.\n  Hint: set_to_none=False was ignored: zero the tensor in place, p.grad.zero_().")
            expect_close(got, want, what=f"{where}: its gradient is not all zeros.",
                         hint="the gradient was not cleared; zero it in place with p.grad.zero_().")


@pytest.mark.parametrize("set_to_none", ["default", True], ids=["by_default", "when_asked"])
@points(1, "zero_grad", kind="value")
def test_zero_grad_sets_gradients_to_none_unless_told_otherwise(submission, set_to_none, rng):
    values, grads = gradients_case(rng, torch.float32)
    report, what = run_zero_grad(submission, values, grads, set_to_none=set_to_none)
    expect_grads_zeroed(report, what, grads, True)


@points(2, "zero_grad", kind="value")
def test_zero_grad_with_set_to_none_false_zeroes_each_gradient_in_place(submission, device, dtype, rng):
    values, grads = gradients_case(rng, dtype)
    report, what = run_zero_grad(submission, values, grads, device=device, set_to_none=False)
    expect_grads_zeroed(report, what, grads, False)
    for index, grad in enumerate(grads):
        if grad is not None and not report["same_grad_object"][index]:
            fail(f"{what}: parameter {index}'s .grad is a new tensor; Optimizer.zero_grad(set_to_none=False) zeroes "
                 "the existing one in place, so that anything holding it sees the zeros.\n"
                 "  Hint: p.grad = torch.zeros_like(p) replaces the tensor; use p.grad.zero_().")
        if grad is not None and (report["grads"][index].dtype != dtype or report["grad_devices"][index] != device):
            fail(f"{what}: parameter {index}'s gradient is now {report['grads'][index].dtype} on "
                 f"{report['grad_devices'][index]}; it must keep the parameter's dtype and device.")


@points(1, "zero_grad", kind="rule")
def test_zero_grad_leaves_parameters_and_missing_gradients_alone(submission, rng):
    values, grads = gradients_case(rng, torch.float64)
    for set_to_none in (True, False):
        report, what = run_zero_grad(submission, values, grads, set_to_none=set_to_none)
        for index, (value, after) in enumerate(zip(values, report["params"])):
            if not torch.equal(value, after) or not report["requires_grad"][index]:
                fail(f"{what} changed parameter {index} itself (its values or requires_grad); only the gradients "
                     "may change.\n  Hint: zero p.grad, never p (p.zero_(), p.data.zero_()).")
            if grads[index] is None and report["grads"][index] is not None:
                fail(f"{what}: parameter {index} had no gradient (None) and now has one; Optimizer.zero_grad leaves "
                     "such parameters untouched.\n  Hint: skip parameters whose .grad is None.")


@points(1, "zero_grad", kind="rule")
def test_zero_grad_accepts_a_generator_such_as_model_parameters(submission, rng):
    values, grads = gradients_case(rng, torch.float32)
    report, what = run_zero_grad(submission, values, grads, set_to_none=False, container="generator")
    expect_grads_zeroed(report, what, grads, False)


# ---------------------------------------------------------------- train_step

HINTS = {
    "no_zero": "the gradients were never cleared: each step used the sum of every gradient so far, as .backward() "
               "adds to .grad. Call optimizer.zero_grad() first in every training step.",
    "zero_last": "the gradients already in .grad before the first step were used in it: clear them at the start of "
                 "the step (optimizer.zero_grad() is the first line), not only at the end.",
    "step_first": "optimizer.step() ran before loss.backward(), so each update used no gradient (or the previous "
                  "one). The order is: zero_grad, forward, loss, backward, step.",
    "after_update": "the loss returned is the loss after the update; return the loss computed in this step, before "
                    "optimizer.step() changed the parameters.",
}

STEP_HINT = ("a training step is exactly optimizer.zero_grad(); loss = loss_fn(model(inputs), targets); "
             "loss.backward(); optimizer.step(), with the model, loss_fn and optimizer passed in (a new optimizer "
             "would lose the learning rate and the momentum).")


def reference_training(state, loss, lr, momentum, batches, device, *, stale=None, variant="reference"):
    """The four-line training step (or a known mistake in it), run over `batches`: the losses it
    returns and the parameters at the end."""
    model = make_model(state, device)
    set_grads(model, stale, device)
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = LOSSES[loss]()
    losses = []
    for inputs, targets in batches:
        inputs, targets = inputs.to(device), targets.to(device)
        if variant in ("reference", "step_first", "after_update"):
            optimizer.zero_grad()
        if variant == "step_first":
            optimizer.step()
        value = loss_fn(model(inputs), targets)
        value.backward()
        if variant != "step_first":
            optimizer.step()
        if variant == "zero_last":
            optimizer.zero_grad()
        if variant == "after_update":
            with NO_GRAD():
                value = loss_fn(model(inputs), targets)
        losses.append(value.item())
    return losses, list(model.parameters())


def training_setup(rng, dtype, loss, momentum, steps):
    return dict(state=draw_state(rng, dtype), loss=loss, lr=0.2, momentum=momentum,
                batches=draw_batches(rng, dtype, loss, [6] * steps))


def run_training(submission, setup, device, stale=None):
    what = (f"{len(setup['batches'])} calls of train_step with a {setup['loss']} loss and "
            f"SGD(lr={setup['lr']}, momentum={setup['momentum']}) "
            f"({str(setup['state'][0].dtype).removeprefix('torch.')}, on {device})")
    if stale is not None:
        what += ", starting with gradients left in .grad by an earlier backward pass"
    report = probe(submission, gradient_zeroing_probes.train_steps, what=what, sizes=list(SIZES), device=device,
                   stale=stale, **setup)
    if report["raised"]:
        fail(f"{what}: train_step raised {report['raised']['message']}")
    return report, what


def expect_trajectory(report, what, setup, device, stale=None):
    """The losses train_step returned and the parameters at the end, against the reference loop;
    a known mistake is named when the submission reproduces its trajectory."""
    dtype = setup["state"][0].dtype
    run = lambda variant: reference_training(**setup, device=device, stale=stale, variant=variant)  # noqa: E731
    losses, params = run("reference")
    variants = {HINTS[name]: run(name) for name in ("no_zero", "zero_last", "step_first", "after_update")}
    got = [entry["value"] for entry in report["returned"]]
    if any(value is None for value in got):
        kinds = sorted({entry["type"] for entry in report["returned"] if entry["value"] is None})
        fail(f"{what}: train_step returned {', '.join(kinds)} where the loss, a number, was expected.\n"
             "  Hint: return loss.item().")
    expect_close(torch.tensor(got, dtype=dtype), torch.tensor(losses, dtype=dtype), device=device,
                 what=f"{what}: the losses returned differ from the reference training loop's.",
                 mistakes={hint: torch.tensor(result[0], dtype=dtype) for hint, result in variants.items()},
                 hint=STEP_HINT)
    expect_close(flat(report["params"]), flat(params), device=device,
                 what=f"{what}: the parameters after the last step differ from the reference training loop's "
                      "(all parameters, flattened).",
                 mistakes={hint: flat(result[1]) for hint, result in variants.items()}, hint=STEP_HINT)


@pytest.mark.parametrize("loss, momentum", [("mse", 0.0), ("cross_entropy", 0.9)], ids=["mse_sgd", "ce_momentum"])
@points(4, "train_step", kind="value")
def test_train_step_follows_the_reference_training_loop_over_5_steps(submission, device, dtype, loss, momentum, rng):
    setup = training_setup(rng, dtype, loss, momentum, steps=5)
    report, what = run_training(submission, setup, device)
    expect_trajectory(report, what, setup, device)


@points(2, "train_step", kind="value")
def test_train_step_returns_the_loss_before_the_update_as_a_python_float(submission, rng):
    setup = training_setup(rng, torch.float64, "mse", 0.0, steps=1)
    report, what = run_training(submission, setup, "cpu")
    returned = report["returned"][0]
    (before,), _ = reference_training(**setup, device="cpu")
    (after,), _ = reference_training(**setup, device="cpu", variant="after_update")
    if returned["value"] is None:
        fail(f"{what}: train_step returned a {returned['type']}; expected a Python float, the loss.\n"
             "  Hint: return loss.item().")
    expect_close(torch.tensor(returned["value"], dtype=torch.float64), torch.tensor(before, dtype=torch.float64),
                 what=f"{what}: the value returned is not the loss of this step's batch.",
                 mistakes={HINTS["after_update"]: torch.tensor(after, dtype=torch.float64)})
    if returned["type"] != "builtins.float":
        fail(f"{what}: train_step returned a {returned['type']} holding the right loss; it must return a Python "
             "float, so that the loop does not keep tensors (and their graphs) alive.\n  Hint: return loss.item().")


@points(1, "train_step", kind="value")
def test_train_step_discards_gradients_left_by_an_earlier_backward(submission, rng):
    setup = training_setup(rng, torch.float64, "mse", 0.0, steps=3)
    stale = [torch.randn(value.shape, generator=rng, dtype=torch.float64) * 5 for value in setup["state"]]
    report, what = run_training(submission, setup, "cpu", stale=stale)
    expect_trajectory(report, what, setup, "cpu", stale=stale)


# ---------------------------------------------------------------- accumulate_gradients

def reference_gradients(state, loss, batches, device, *, stale=None, variant="reference"):
    """The gradient of the mean loss over every example of `batches`, from one full-batch backward
    pass; or what a known mistake leaves instead."""
    model = make_model(state, device)
    loss_fn = LOSSES[loss]()
    if variant == "reference":
        inputs = torch.cat([inputs for inputs, _ in batches]).to(device)
        targets = torch.cat([targets for _, targets in batches]).to(device)
        loss_fn(model(inputs), targets).backward()
    else:
        set_grads(model, stale if variant == "stale_added" else None, device)
        for inputs, targets in batches:
            value = loss_fn(model(inputs.to(device)), targets.to(device))
            if variant == "mean_of_means":
                value = value / len(batches)
            if variant == "stale_added":
                value = value * (len(inputs) / sum(len(x) for x, _ in batches))
            value.backward()
    return [parameter.grad for parameter in model.parameters()]


GRADIENT_HINTS = {
    "sum_of_means": "the gradients of the batches' mean losses were added up without weighting: scale each batch's "
                    "loss by batch_size / total_examples before its backward pass.",
    "mean_of_means": "this is the mean of the batches' mean losses, which weights a small batch as much as a large "
                     "one; the mean over all examples scales each batch's loss by batch_size / total_examples.",
    "stale_added": "the gradients already in .grad before the call were added to: clear them first "
                   "(set each .grad to None, or zero it).",
}


def check_accumulated(submission, rng, dtype, device, loss, batch_sizes, stale=False, mistakes=()):
    state = draw_state(rng, dtype)
    batches = draw_batches(rng, dtype, loss, batch_sizes)
    old = [torch.randn(value.shape, generator=rng, dtype=dtype) for value in state] if stale else None
    what = (f"accumulate_gradients over batches of sizes {list(batch_sizes)} with a {loss} loss "
            f"({str(dtype).removeprefix('torch.')}, on {device})"
            + (", with gradients already in .grad" if stale else ""))
    report = probe(submission, gradient_zeroing_probes.accumulate, what=what, sizes=list(SIZES), state=state,
                   loss=loss, batches=batches, device=device, stale=old)
    if report["raised"]:
        fail(f"{what} raised {report['raised']['message']}")
    if any(grad is None for grad in report["grads"]):
        missing = [index for index, grad in enumerate(report["grads"]) if grad is None]
        fail(f"{what}: parameter(s) {missing} have no gradient afterwards.\n  Hint: call backward on each batch's "
             "loss; do not set the gradients to None after the last batch.")
    expected = reference_gradients(state, loss, batches, device)
    wrong = {GRADIENT_HINTS[name]: flat(reference_gradients(state, loss, batches, device, stale=old, variant=name))
             for name in mistakes}
    if len(batch_sizes) > 1:
        share = len(batches[-1][0]) / sum(len(inputs) for inputs, _ in batches)
        last = flat(reference_gradients(state, loss, batches[-1:], device)) * share
        wrong["only the last batch's share of the gradient is left: the gradients were cleared before every batch; "
              "clear them once, before the first."] = last
    expect_close(flat(report["grads"]), flat(expected), device=device, mistakes=wrong,
                 what=f"{what}: the gradients (all parameters, flattened) differ from those of one backward pass "
                      "through the mean loss over all the examples.")
    if not all(torch.equal(after, value.to(after.dtype)) for after, value in zip(report["params"], state)):
        fail(f"{what} changed the parameters; it must only leave gradients in .grad, not update the model.")


@pytest.mark.parametrize("batch_sizes", [[8], [4, 4], [2, 2, 2, 2]], ids=["1_batch", "2_batches", "4_batches"])
@points(3, "accumulate_gradients", kind="value")
def test_accumulate_gradients_equals_the_full_batch_gradient(submission, device, dtype, batch_sizes, rng):
    check_accumulated(submission, rng, dtype, device, "mse", batch_sizes, mistakes=["sum_of_means"])


@pytest.mark.parametrize("batch_sizes", [[5, 2, 1], [3, 6]], ids=["5_2_1", "3_6"])
@points(2, "accumulate_gradients", kind="value")
def test_accumulate_gradients_weights_unequal_batches_by_their_size(submission, batch_sizes, rng):
    check_accumulated(submission, rng, torch.float64, "cpu", "cross_entropy", batch_sizes,
                      mistakes=["mean_of_means", "sum_of_means"])


@points(2, "accumulate_gradients", kind="value")
def test_accumulate_gradients_replaces_gradients_already_there(submission, rng):
    check_accumulated(submission, rng, torch.float64, "cpu", "mse", [4, 4], stale=True, mistakes=["stale_added"])
