"""Graders for the `dropout` assignment: the function `dropout(input, p=0.5, training=True)` and the
layer `Dropout(p=0.5)`, judged against what `F.dropout` and `nn.Dropout` guarantee.

Dropout is random, so no check compares a mask with PyTorch's: CPU and GPU draw different streams,
and a correct solution may draw its numbers in any order. The checks measure what holds for every
correct mask instead:

* the fraction of zeros is p within a binomial band;
* every kept element equals input / (1 - p) (to the dtype's tolerance);
* the mean of the output equals the mean of the input within its standard error;
* masks of neighbouring rows, of neighbouring columns and of two calls agree as often as
  independent masks do, p^2 + (1 - p)^2 of the time, and no more;
* the gradient of the same call is the mask scaled by 1 / (1 - p).

False failures. Every band is six standard deviations wide, plus 1/n for the discreteness of a
count. A sample is 30,720 elements (15,360 pairs for the independence checks); for every p used
here the exact binomial probability of falling outside such a band is below 2.0e-9 (computed from
the binomial distribution, not from its normal approximation), and the mean check, a sum of
30,720 bounded independent terms, is as good as normal at that size. A grading makes about 40
such comparisons on a CPU (about 80 with a GPU), so a correct solution fails one by bad luck with
probability below 2e-7 per grading. The generators are seeded (from --seed) before each probe,
so a verdict is reproducible. Samples stay below PyTorch's intra-op grain size (32,768
elements), so no check pays for thread start-up on a busy grading machine; the mistakes these
checks catch move the measured fractions by 0.2 or more, against bands of at most 0.02.

One more check rests on chance for some correct styles: at p = 0 nothing may be dropped. A
solution keeping an element when `rand > p` (instead of `rand >= p`) drops an element whose
float32 draw is exactly 0.0 (probability 2**-24); the p = 0 check uses 384 elements, so that
style fails it with probability 2.3e-5.
"""

from __future__ import annotations

import math

import pytest
import torch

from graders.checks import (expect_no_forbidden_builtin, expect_on_input_device, expect_raises_like_pytorch,
                            fail_if_raised, forbidden_uses, gate, points, probe)
from graders.checks.compare import expect_close, fail, message, mismatch
from graders.probes import dropout as dropout_probes

# Imported once, before the first submission, by the zygote and a batch's judges (runner.libraries):
# the notebook plots with matplotlib.
LIBRARIES = ("matplotlib.pyplot",)

# Every built-in dropout, in every spelling PyTorch has: F.dropout, torch.dropout, torch.dropout_,
# nn.Dropout, Dropout1d/2d/3d, alpha_dropout, AlphaDropout, feature_alpha_dropout,
# FeatureAlphaDropout, torch.feature_dropout, aten.native_dropout, torch._fused_dropout, ...
# Anchored, so that a variable such as `dropout_mask` is not taken for a built-in.
FORBIDDEN = r"(?i)^_*(native_|fused_|feature_|alpha_|feature_alpha_|featurealpha|alpha)?dropout([123]d)?_?$"

SIGMAS = 6.0
SHAPE = (240, 128)  # 30,720 elements
SMALL = (16, 24)


def seed_from(rng) -> int:
    return int(torch.randint(0, 2**31 - 1, (1,), generator=rng))


def away_from_zero(rng, dtype, shape=SHAPE, positive=False):
    """Values in +-[0.5, 1.5): an exact zero in the output can then only mean a dropped element."""
    magnitude = 0.5 + torch.rand(shape, generator=rng, dtype=dtype)
    if positive:
        return magnitude
    return torch.where(torch.rand(shape, generator=rng) < 0.5, -magnitude, magnitude)


def signature(x, kwargs):
    shown = [f"<{str(x.dtype).removeprefix('torch.')} tensor of shape {tuple(x.shape)}>"]
    shown += [f"{key}={value!r}" for key, value in kwargs.items()]
    return f"dropout({', '.join(shown)})"


def band(probability: float, count: int) -> float:
    """Half-width of the acceptance band for the mean of `count` Bernoulli(probability) draws."""
    return SIGMAS * math.sqrt(probability * (1 - probability) / count) + 1 / count


def percent(value: float) -> str:
    return f"{100 * value:.2f}%"


# ---------------------------------------------------------------- running the student's code

def run(submission, x, kwargs, device, rng, *, calls=1, grad_weight=None, watch=None) -> list[dict]:
    report = probe(submission, dropout_probes.sample, what=f"{signature(x, kwargs)} on {device}",
                   input=x, kwargs=kwargs, calls=calls, device=device, seed=seed_from(rng),
                   grad_weight=grad_weight, watch=watch)
    return report["calls"]


def run_layer(submission, x, device, rng, *, p=None, modes=("train", "eval"), watch=None) -> dict:
    built = "Dropout()" if p is None else f"Dropout({p!r})"
    return probe(submission, dropout_probes.layer, what=f"{built} on {device}", input=x, p=p,
                 modes=list(modes), device=device, seed=seed_from(rng), watch=watch)


def output_of(call: dict, x: torch.Tensor, what: str) -> torch.Tensor:
    """The tensor a call returned, of the input's shape; fails the check otherwise."""
    fail_if_raised(call["raised"], what)
    output = call.get("output")
    if not isinstance(output, torch.Tensor):
        fail(f"{what} returned a {call['output_type']}; a torch.Tensor was expected")
    if tuple(output.shape) != tuple(x.shape):
        fail(f"{what} returned a tensor of shape {tuple(output.shape)}; dropout keeps the input's shape "
             f"{tuple(x.shape)}")
    return output


# ---------------------------------------------------------------- what a dropout output must satisfy

def fraction_problem(output, p) -> str | None:
    """Why `output` does not drop a fraction p of its elements (None when it does)."""
    if not torch.isfinite(output).all():
        return ("the output holds nan or inf, for an input of finite values between 0.5 and 1.5 in size. "
                "Hint: is something divided by zero (p, or 1 - p at p = 1)?")
    dropped = (output == 0).double().mean().item()
    width = band(p, output.numel())
    if abs(dropped - p) <= width:
        return None
    message = (f"{percent(dropped)} of the {output.numel()} elements are zero; dropout with p = {p} zeroes "
               f"{percent(p)} of them, give or take {percent(width)} (six standard deviations).")
    if dropped == 0:
        hint = ("nothing was dropped: is the mask applied at all, or drawn once for the whole tensor "
                "(one random number instead of one per element)?")
    elif dropped == 1:
        hint = ("everything was dropped: is the mask drawn once for the whole tensor (one random number "
                "instead of one per element), or inverted?")
    elif abs(dropped - (1 - p)) <= width:
        hint = ("the mask is inverted: it keeps elements with probability p and drops them with probability "
                "1 - p. Keep an element when a uniform draw is >= p (or draw bernoulli(1 - p)).")
    else:
        hint = "each element must be dropped independently with probability p."
    return f"{message}\n  Hint: {hint}"


def kept_problem(output, x, p, device) -> str | None:
    """Why the kept (non-zero) elements of `output` are not input / (1 - p) (None when they are)."""
    kept = output != 0
    if not kept.any():
        return "no element was kept, so the scaling of kept elements cannot be measured."
    return mismatch(output[kept], x[kept] / (1 - p), device)


def call_problem(call, x, what) -> str | None:
    if call["raised"]:
        return f"{what} raised {call['raised']['message']}"
    output = call.get("output")
    if not isinstance(output, torch.Tensor):
        return f"{what} returned a {call['output_type']}"
    if tuple(output.shape) != tuple(x.shape):
        return f"{what} returned shape {tuple(output.shape)}"
    return None


def validity_problem(call, x, p, device, what, *, scaled=True) -> str | None:
    """Why a call is not a valid dropout of `x` with probability p (with `scaled`: kept elements
    equal to input / (1 - p)), or None."""
    problem = call_problem(call, x, what)
    if problem:
        return problem
    output = call["output"]
    return fraction_problem(output, p) or (kept_problem(output, x, p, device) if scaled else None)


def require_valid(call, x, p, device, what, *, scaled=True):
    """Fail with 'not checked yet' unless the call is a valid dropout: the precondition of the value
    checks that measure statistics of a mask (they cannot be judged on anything else). Contract
    checks do not use it: the points policy keeps their points from a function that does no dropout."""
    needs = "zero about a fraction p of the elements" + (" and scale the others by 1 / (1 - p)" if scaled else "")
    gate(validity_problem(call, x, p, device, what, scaled=scaled), what, needs,
         "the checks of the fraction dropped and of the scaling")


DEVICE_HINT = ("draw the mask on the input's device: torch.rand_like(input), or torch.rand(input.shape, "
               "device=input.device); a mask drawn on the CPU and moved with .to(...) costs a copy from the CPU at "
               "every call on a GPU, and draws from the CPU's generator.")


def expect_drawn_on_input_device(raised, output_device, draws, what):
    """The device verdict of a run on the `meta` device: no tensor mixed across devices, the result on
    the input's device, and every random number drawn there (`draws`: device type -> where)."""
    expect_on_input_device(raised, output_device, what, hint=DEVICE_HINT)
    elsewhere = {device: place for device, place in (draws or {}).items() if device != "meta"}
    if elsewhere:
        device, place = next(iter(elsewhere.items()))
        fail(message(f"{what} drew its random numbers on {device}{f' ({place})' if place else ''} for an input on "
                     "another device (meta): the mask is not drawn on the input's device.", hint=DEVICE_HINT))


# ---------------------------------------------------------------- dropout: what it computes

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8, None], ids=["p0.1", "p0.5", "p0.8", "default_p"])
@points(3, "dropout", kind="value")
def test_dropout_zeroes_a_fraction_p_of_the_elements(submission, device, dtype, p, rng):
    x = away_from_zero(rng, dtype)
    kwargs = {} if p is None else {"p": p}
    what = f"{signature(x, kwargs)} on {device}"
    output = output_of(run(submission, x, kwargs, device, rng)[0], x, what)
    problem = fraction_problem(output, 0.5 if p is None else p)
    if problem:
        defaults = " (called with its defaults, which are p=0.5 and training=True)" if p is None else ""
        fail(f"{what}{defaults}: {problem}")


@pytest.mark.parametrize("p", [0.25, 0.75])
@points(2, "dropout", kind="value")
def test_dropout_scales_kept_elements_by_one_over_one_minus_p(submission, device, dtype, p, rng):
    x = away_from_zero(rng, dtype)
    kwargs = {"p": p}
    what = f"{signature(x, kwargs)} on {device}"
    output = output_of(run(submission, x, kwargs, device, rng)[0], x, what)
    kept = output != 0
    if not kept.any():
        fail(f"{what} dropped every element; with p = {p} about {percent(1 - p)} of them must be kept.")
    inputs = x[kept]
    expect_close(output[kept], inputs / (1 - p), device=device,
                 what=f"{what}: the kept (non-zero) elements must equal input / (1 - p) = input / {1 - p}.",
                 mistakes={
                     "the kept elements are not scaled at all: inverted dropout divides them by (1 - p), so "
                     "that the expected output equals the input.": inputs,
                     "the kept elements are divided by p; divide by 1 - p, the probability of keeping one.":
                         inputs / p,
                     "the kept elements are multiplied by (1 - p): divide by (1 - p) instead.": inputs * (1 - p),
                 })


@points(1, "dropout", kind="value")
def test_dropout_preserves_the_mean(submission, device, dtype, rng):
    p = 0.6
    x = away_from_zero(rng, dtype, positive=True)
    kwargs = {"p": p}
    what = f"{signature(x, kwargs)} on {device}"
    call = run(submission, x, kwargs, device, rng)[0]
    output = output_of(call, x, what)
    require_valid(call, x, p, device, what, scaled=False)
    reference = x.double()
    got, expected = output.double().mean().item(), reference.mean().item()
    # Var(out_i) = x_i^2 p / (1 - p) for independent masks, so the mean has this standard error:
    width = SIGMAS * math.sqrt(reference.pow(2).sum().item() * p / (1 - p)) / x.numel()
    if abs(got - expected) > width:
        message = (f"{what}: the mean of the output is {got:.5f}; the mean of the input is {expected:.5f}, "
                   f"and dropout must preserve it within {width:.5f} (six standard errors).")
        if abs(got - (1 - p) * expected) <= width:
            message += ("\n  Hint: the mean shrank by the factor 1 - p: the kept elements are not divided by "
                        "(1 - p), so the next layer would see smaller activations in training than in evaluation.")
        fail(message)


@points(1, "dropout", kind="value")
def test_dropout_draws_an_independent_mask_for_every_element(submission, device, rng):
    p = 0.5
    x = away_from_zero(rng, torch.float32)
    kwargs = {"p": p}
    what = f"{signature(x, kwargs)} on {device}"
    call = run(submission, x, kwargs, device, rng)[0]
    output = output_of(call, x, what)
    require_valid(call, x, p, device, what, scaled=False)
    dropped = output == 0
    agreeing = p * p + (1 - p) * (1 - p)
    for axis, pairs, hint in (
            ("rows", (dropped[0::2], dropped[1::2]),
             "every row (example) lost the same elements: the mask was drawn with the shape of one row, e.g. "
             "torch.rand(input.shape[-1]), and broadcast over the batch. Draw one number per element: "
             "torch.rand_like(input)."),
            ("columns", (dropped[:, 0::2], dropped[:, 1::2]),
             "every column lost the same rows: the mask was drawn with one number per row and broadcast over "
             "the features. Draw one number per element: torch.rand_like(input).")):
        same = (pairs[0] == pairs[1]).double().mean().item()
        width = band(agreeing, pairs[0].numel())
        if abs(same - agreeing) > width:
            message = (f"{what}: neighbouring {axis} of the output are zero at the same positions {percent(same)} "
                       f"of the time; independent masks agree {percent(agreeing)} of the time, give or take "
                       f"{percent(width)}.")
            fail(message + (f"\n  Hint: {hint}" if same > agreeing else ""))


@points(1, "dropout", kind="value")
def test_dropout_draws_a_new_mask_at_every_call(submission, device, rng):
    p = 0.3
    x = away_from_zero(rng, torch.float32)
    kwargs = {"p": p}
    what = f"{signature(x, kwargs)} on {device}"
    first, second = run(submission, x, kwargs, device, rng, calls=2)
    outputs = [output_of(call, x, f"{what} (call {number})") for number, call in ((1, first), (2, second))]
    require_valid(first, x, p, device, what, scaled=False)
    require_valid(second, x, p, device, what, scaled=False)
    same = ((outputs[0] == 0) == (outputs[1] == 0)).double().mean().item()
    agreeing = p * p + (1 - p) * (1 - p)
    width = band(agreeing, x.numel())
    if abs(same - agreeing) > width:
        message = (f"two calls of {what} dropped the same elements {percent(same)} of the time; independent "
                   f"masks agree {percent(agreeing)} of the time, give or take {percent(width)}.")
        if same == 1:
            message += ("\n  Hint: both calls dropped exactly the same elements: is the generator re-seeded inside "
                        "dropout (torch.manual_seed), or a mask stored and reused? Draw a fresh mask at every call.")
        fail(message)


@pytest.mark.parametrize("p", [0.3])
@points(2, "dropout", kind="gradient")
def test_dropout_gradient_is_the_mask_scaled_by_one_over_one_minus_p(submission, device, dtype, p, rng):
    x = away_from_zero(rng, dtype)
    weight = torch.randn(x.shape, generator=rng, dtype=dtype)
    kwargs = {"p": p}
    what = f"{signature(x, kwargs)} on {device}"
    call = run(submission, x, kwargs, device, rng, grad_weight=weight)[0]
    output = output_of(call, x, what)
    require_valid(call, x, p, device, what)
    if call.get("grad_error"):
        fail(f"back-propagating through {what} failed: {call['grad_error']}")
    if call["grad"] is None:
        fail(f"{what}: no gradient reached the input. Hint: the output is cut off from the input's graph "
             "(torch.no_grad(), .detach(), .data, or a tensor rebuilt from values); multiply the input by "
             "the mask and let autograd do the rest.")
    kept = (output != 0).to(dtype)
    expect_close(call["grad"], weight * kept / (1 - p), device=device,
                 what=f"{what}: the gradient with respect to the input must be (upstream gradient) * mask / (1 - p), "
                      "with the mask of the same call.",
                 mistakes={
                     "the gradient ignores the mask and the scaling: the masking was done outside autograd "
                     "(under torch.no_grad() or through .data).": weight,
                     "the gradient lacks the factor 1 / (1 - p): the scaling was done outside autograd "
                     "(under torch.no_grad() or through .data).": weight * kept,
                 })


# ---------------------------------------------------------------- dropout: edge cases and contract

@points(1, "dropout", kind="rule")
def test_dropout_is_the_identity_when_not_training(submission, device, dtype, rng):
    x = away_from_zero(rng, dtype)
    p = 0.5
    kwargs = {"p": p, "training": False}
    what = f"{signature(x, kwargs)} on {device}"
    output = output_of(run(submission, x, kwargs, device, rng)[0], x, what)
    if (output == 0).any():
        fail(f"{what} zeroed {percent((output == 0).double().mean().item())} of the elements; with training=False "
             "dropout returns its input unchanged.\n  Hint: is the `training` argument ignored?")
    expect_close(output, x, device=device,
                 what=f"{what}: with training=False the input must come back unchanged.",
                 mistakes={
                     "the output is scaled by (1 - p): with inverted dropout the scaling happens while training, "
                     "and evaluation does nothing at all.": x * (1 - p),
                     "the output is scaled by 1 / (1 - p): that scaling belongs to kept elements in training; "
                     "evaluation does nothing at all.": x / (1 - p),
                 })


@points(1, "dropout", kind="rule")
def test_dropout_with_p_one_returns_zeros_and_a_zero_gradient(submission, device, dtype, rng):
    x = away_from_zero(rng, dtype, shape=(64, 48))
    kwargs = {"p": 1.0}
    what = f"{signature(x, kwargs)} on {device}"
    weight = torch.randn(x.shape, generator=rng, dtype=dtype)
    call = run(submission, x, kwargs, device, rng, grad_weight=weight)[0]
    output = output_of(call, x, what)
    zero_by_zero = ("at p = 1 the formula mask * input / (1 - p) divides 0 by 0, which is nan. Handle p == 1 "
                    "on its own: every element is dropped, so return input * 0 (zeros that keep the graph).")
    if not torch.isfinite(output).all():
        fail(f"{what} returned nan or inf where every element should be 0.\n  Hint: {zero_by_zero}")
    expect_close(output, torch.zeros_like(x), device=device, what=f"{what}: with p = 1 every element is dropped.")
    if call.get("grad_error"):
        fail(f"back-propagating through {what} failed: {call['grad_error']}")
    grad = call.get("grad")
    if grad is not None:  # None: the zeros are not attached to the input, so no gradient flows, which is zero
        if not torch.isfinite(grad).all():
            fail(f"{what}: the gradient with respect to the input holds nan or inf; it must be zero.\n"
                 f"  Hint: {zero_by_zero}")
        expect_close(grad, torch.zeros_like(x), device=device,
                     what=f"{what}: the gradient must be zero, since every element is dropped.")


@points(1, "dropout", kind="rule")
def test_dropout_with_p_zero_returns_the_input_unchanged(submission, device, dtype, rng):
    x = away_from_zero(rng, dtype, shape=SMALL)
    kwargs = {"p": 0.0}
    what = f"{signature(x, kwargs)} on {device}"
    output = output_of(run(submission, x, kwargs, device, rng)[0], x, what)
    if not torch.isfinite(output).all():
        fail(f"{what} returned nan or inf; with p = 0 the input must come back unchanged.\n"
             "  Hint: dividing by p instead of 1 - p gives inf at p = 0.")
    expect_close(output, x, device=device, what=f"{what}: with p = 0 nothing is dropped.",
                 mistakes={"everything was dropped at p = 0: the mask keeps elements with probability p instead "
                           "of 1 - p.": torch.zeros_like(x)})


@points(1, "dropout", kind="rule")
def test_dropout_rejects_p_outside_zero_one(submission, rng):
    small = away_from_zero(rng, torch.float32, shape=SMALL)
    for p in (-0.1, 1.5):
        kwargs = {"p": p}
        raised = run(submission, small, kwargs, "cpu", rng)[0]["raised"]
        expect_raises_like_pytorch(raised, signature(small, kwargs), "F.dropout", "for p outside [0, 1]")


@points(1, "dropout", kind="rule")
def test_dropout_returns_a_plain_tensor_of_the_input_dtype_and_device(submission, device, dtype, rng):
    p = 0.5
    x = away_from_zero(rng, dtype)
    kwargs = {"p": p}
    what = f"{signature(x, kwargs)} on {device}"
    call = run(submission, x, kwargs, device, rng)[0]
    output_of(call, x, what)
    if call["output_type"] != "torch.Tensor":
        fail(f"{what} returned a {call['output_type']}; it must return exactly a torch.Tensor, as F.dropout does.")
    if call["output_dtype"] != str(dtype):
        fail(f"{what} returned {call['output_dtype']}; expected {dtype}, the input's dtype. Hint: a mask made "
             "with .double() or .float(), or drawn with dtype=..., changes the result's dtype; "
             "torch.rand_like(input) matches the input.")
    if call["output_device"] != device:
        fail(f"{what} returned a tensor on {call['output_device']}; expected {device}, the input's device.")


@points(1, "dropout", kind="rule")
def test_dropout_leaves_its_input_unmodified(submission, rng):
    p = 0.5
    x = away_from_zero(rng, torch.float64)
    kwargs = {"p": p}
    what = signature(x, kwargs)
    call = run(submission, x, kwargs, "cpu", rng)[0]
    fail_if_raised(call["raised"], what)
    if call["modified"]:
        fail(f"{what} changed its input in place. Hint: in-place operations (input *= mask, input.mul_(...), "
             "input[mask] = 0) change the caller's tensor, here a layer's activations; compute a new tensor.")


@points(1, "dropout", kind="rule")
def test_dropout_draws_its_mask_on_the_input_device(submission, rng):
    """Run dropout on tensors of the `meta` device, which hold no values: a mask drawn on the CPU
    by default is caught mixing with them, as it would be on a GPU."""
    x = away_from_zero(rng, torch.float32)
    kwargs = {"p": 0.5}
    what = signature(x, kwargs)
    call = run(submission, x, kwargs, "meta", rng)[0]
    expect_drawn_on_input_device(call["raised"], call.get("output_device"), call.get("draws"), what)


@points(1, "dropout", kind="forbidden")
def test_dropout_uses_no_forbidden_builtin(submission, rng):
    x = away_from_zero(rng, torch.float32)
    kwargs = {"p": 0.5}
    call = run(submission, x, kwargs, "cpu", rng, watch=FORBIDDEN)[0]
    expect_no_forbidden_builtin("dropout", forbidden_uses(submission, "dropout", FORBIDDEN, call),
                                instead="draw the mask with torch.rand_like or torch.bernoulli and apply it yourself.")


# ---------------------------------------------------------------- the Dropout layer

def layer_pass(report, mode, what, *, raised_ok=False):
    if report.get("raised"):
        fail(f"building {what} raised {report['raised']['message']}")
    if not report["is_module"]:
        fail(f"{what} is not an nn.Module: Dropout must subclass torch.nn.Module, so that model.train() and "
             "model.eval() reach it inside a model.")
    for passed in report["passes"]:
        if passed["mode"] == mode:
            if passed["raised"] and not raised_ok:
                fail(f"{what}, after .{mode}(), raised {passed['raised']['message']}")
            return passed
    raise AssertionError(f"no {mode} pass in the report")


@pytest.mark.parametrize("p", [0.3, None], ids=["p0.3", "default_p"])
@points(2, "Dropout", kind="value")
def test_dropout_module_drops_units_in_train_mode(submission, device, dtype, p, rng):
    x = away_from_zero(rng, dtype)
    expected_p = 0.5 if p is None else p
    what = "Dropout()" if p is None else f"Dropout({p})"
    report = run_layer(submission, x, device, rng, p=p, modes=("train",))
    passed = layer_pass(report, "train", what)
    if report["parameters"]:
        fail(f"{what} has {report['parameters']} learnable parameter(s): p is a fixed number, not an nn.Parameter "
             "(an optimizer would change it).")
    output = output_of(passed, x, f"{what}(input) in train mode")
    problem = fraction_problem(output, expected_p) or kept_problem(output, x, expected_p, device)
    if problem:
        defaults = " (whose default is p=0.5)" if p is None else ""
        fail(f"{what}{defaults} in train mode must act as dropout(input, {expected_p}): {problem}\n"
             "  (Is self.p passed on to dropout?)")


@points(1, "Dropout", kind="rule")
def test_dropout_module_is_the_identity_in_eval_mode(submission, device, dtype, rng):
    p = 0.5
    x = away_from_zero(rng, dtype)
    what = f"Dropout({p})"
    report = run_layer(submission, x, device, rng, p=p, modes=("eval",))
    passed = layer_pass(report, "eval", what)
    output = output_of(passed, x, f"{what}(input) after .eval()")
    if (output == 0).any():
        fail(f"{what}(input) after .eval() zeroed {percent((output == 0).double().mean().item())} of the elements; "
             "in eval mode the layer returns its input unchanged.\n  Hint: forward must pass the layer's mode on: "
             "dropout(input, self.p, self.training).")
    expect_close(output, x, device=device, what=f"{what}(input) after .eval() must return the input unchanged.")


@points(1, "Dropout", kind="rule")
def test_dropout_module_rejects_p_outside_zero_one_when_built(submission, rng):
    for bad in (-0.1, 1.5):
        report = run_layer(submission, None, "cpu", rng, p=bad, modes=())
        expect_raises_like_pytorch(report["raised"], f"Dropout({bad})", "nn.Dropout",
                                   "in its constructor for p outside [0, 1]",
                                   hint="check p in __init__: a layer built with a bad p should fail where it is "
                                        "built, not at its first forward pass.")


@points(1, "Dropout", kind="forbidden")
def test_dropout_module_uses_no_forbidden_builtin(submission, rng):
    p = 0.5
    x = away_from_zero(rng, torch.float32)
    what = f"Dropout({p})"
    report = run_layer(submission, x, "cpu", rng, p=p, modes=("train",), watch=FORBIDDEN)
    seen = {"calls": list(report.get("construction_calls", [])), "where": dict(report.get("construction_where", {}))}
    for passed in report.get("passes", []):
        seen["calls"] += passed.get("calls", [])
        seen["where"].update(passed.get("where", {}))
    expect_no_forbidden_builtin("Dropout", forbidden_uses(submission, "Dropout", FORBIDDEN, seen),
                                instead=f"subclass nn.Module and call your own dropout in forward ({what} must not "
                                        "be built on nn.Dropout or F.dropout).")


@points(1, "Dropout", kind="rule")
def test_dropout_module_draws_its_mask_on_the_input_device(submission, rng):
    """Run the layer on tensors of the `meta` device, which hold no values: a mask drawn on the CPU
    by default is caught mixing with them, or drawn on the CPU and moved, as it would be on a GPU."""
    p = 0.5
    x = away_from_zero(rng, torch.float32)
    what = f"Dropout({p})(input) in train mode"
    passed = layer_pass(run_layer(submission, x, "meta", rng, p=p, modes=("train",)), "train", f"Dropout({p})",
                        raised_ok=True)
    expect_drawn_on_input_device(passed["raised"], passed.get("output_device"), passed.get("draws"), what)
