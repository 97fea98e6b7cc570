"""Graders for the `weight_decay` assignment: l2_penalty, sgd_step_with_weight_decay, AdamW and
decay_parameter_groups, against the explicit penalty, torch.optim.SGD(weight_decay=...),
torch.optim.AdamW, and real torch.optim optimizers given the student's parameter groups."""

from __future__ import annotations

import pytest
import torch

from graders.checks import points, probe
from graders.checks.compare import fail, mismatch
from graders.probes.optim import FunctionAsOptimizer, model_trajectory
from graders.probes import optim as optim_probes, weight_decay as wd_probes
from graders.probes.weight_decay import build_model, train_model
from graders.checks.optim import (ADAM_MISTAKES, IGNORED_ARGUMENTS, Sketch, check_device, check_linear, check_model,
                                  check_no_torch_optim_class, check_rejects, check_zero_grad, expect_gradients_kept,
                                  expect_model_run, expect_no_exception, expect_no_torch_optim, expect_same_leaves,
                                  expect_step, fail_values, linear, matching_mistake, model_mistakes, random_params,
                                  reference_step, seed_from, sketch_variants, step_once)

# Imported once, before the first submission, by the zygote and a batch's judges (runner.libraries):
# torch.optim's step imports torch._dynamo; the notebook plots with matplotlib.
LIBRARIES = ("torch._dynamo", "matplotlib.pyplot")

# References are bound when this module is imported, before any submission is loaded.
SGD = torch.optim.SGD
ADAM = torch.optim.Adam
ADAMW = torch.optim.AdamW
_stack = torch.stack
_no_grad = torch.no_grad



# ---------------------------------------------------------------- l2_penalty

PENALTY_SHAPES = ((3, 4), (4,), (), (2, 3, 2))


def penalty(params, weight_decay):
    """The explicit penalty, weight_decay * (sum of the squares of every element of every parameter)."""
    return weight_decay * _stack([(param * param).sum() for param in params]).sum()


PENALTY_MISTAKES = {
    "this is (weight_decay / 2) * sum(theta^2): the penalty asked for here, as in the course, is "
    "weight_decay * sum(theta^2) (the halved one is what torch.optim.SGD's weight_decay corresponds to).":
        lambda params, wd: penalty(params, wd / 2),
    "weight_decay was not applied: multiply the sum of squares by it.": lambda params, wd: penalty(params, 1.0),
    "the norms were not squared: the penalty sums theta^2 over every element, it is not a sum of norms.":
        lambda params, wd: wd * _stack([param.norm() for param in params]).sum(),
    "a mean was taken where a sum was wanted: add up the squares of every element.":
        lambda params, wd: wd * _stack([(param * param).mean() for param in params]).sum(),
    "only the parameters with 2 or more dimensions were counted: the penalty covers every parameter it is given, "
    "biases included (leaving biases out is decay_parameter_groups' job).":
        lambda params, wd: penalty([param for param in params if param.dim() >= 2], wd),
    "only the first parameter was counted: is there a return inside the loop?":
        lambda params, wd: penalty(params[:1], wd),
}


def penalty_case(rng, dtype):
    params = [torch.randn(shape, generator=rng, dtype=torch.float64).to(dtype) for shape in PENALTY_SHAPES]
    return params, 0.05


def call_penalty(submission, params, weight_decay, device="cpu", **options):
    shown = ", ".join(f"<{tuple(p.shape)}>" for p in params)
    kind = "a generator of " if options.get("as_generator") else ""
    what = f"l2_penalty({kind}[{shown}], {weight_decay}) on {device}"
    report = probe(submission, wd_probes.l2_penalty, what=what, params=params, weight_decay=weight_decay,
                   device=device, **options)
    expect_no_exception(report, what)
    if not isinstance(report.get("output"), torch.Tensor):
        fail(f"{what} returned a {report['output_type']}; expected a 0-d torch.Tensor (no .item(): the penalty is "
             "added to the loss and differentiated).")
    return report, what


def expect_penalty(report, what, params, weight_decay, device):
    expected = penalty([p.to(device) for p in params], weight_decay)
    output = report["output"]
    if mismatch(output, expected, device) is not None:
        hint = matching_mistake(output, {hint: (lambda make=make: make(params, weight_decay))
                                         for hint, make in PENALTY_MISTAKES.items()}, device, expected.dtype)
        fail_values(f"{what}: the value differs from weight_decay * (sum of theta^2 over every parameter).",
                    expected, output, device, hint=hint)


@points(2, "l2_penalty", kind="value")
def test_l2_penalty_matches_the_explicit_penalty(submission, device, dtype, rng):
    params, weight_decay = penalty_case(rng, dtype)
    report, what = call_penalty(submission, params, weight_decay, device, requires_grad=False)
    expect_penalty(report, what, params, weight_decay, device)


@points(2, "l2_penalty", kind="gradient")
def test_l2_penalty_gradient_is_twice_weight_decay_times_theta(submission, device, dtype, rng):
    params, weight_decay = penalty_case(rng, dtype)
    report, what = call_penalty(submission, params, weight_decay, device)
    if report.get("grad_error"):
        fail(f"back-propagating through {what} failed: {report['grad_error']}")
    for index, (grad, param) in enumerate(zip(report["grads"], params)):
        expected = 2 * weight_decay * param
        if grad is None:
            fail(f"{what}: no gradient reached parameter {index} (shape {tuple(param.shape)}). Hint: build the "
                 "penalty from the parameters themselves, without .item(), .detach() or torch.tensor(...).")
        if mismatch(grad, expected, device) is not None:
            fail_values(f"{what}: the gradient with respect to parameter {index} (shape {tuple(param.shape)}) "
                        "differs from 2 * weight_decay * theta.", expected, grad, device,
                        hint="a gradient of weight_decay * theta is that of the halved penalty "
                             "(weight_decay / 2) * sum(theta^2)." if mismatch(grad, expected / 2, device) is None
                        else None)


@points(1, "l2_penalty", kind="rule")
def test_l2_penalty_accepts_a_generator_of_parameters(submission, rng):
    """The same parameters given as a generator must give what the submission gives for a list: this
    check judges the generator, not the formula (the value checks do that)."""
    params, weight_decay = penalty_case(rng, torch.float64)
    report, what = call_penalty(submission, params, weight_decay, as_generator=True, requires_grad=False)
    as_list, _ = call_penalty(submission, params, weight_decay, requires_grad=False)
    if mismatch(report["output"], as_list["output"]) is not None:
        fail_values(f"{what}: the value differs from what l2_penalty returns for a list of the same parameters.",
                    as_list["output"], report["output"], "cpu",
                    hint="model.parameters() is a generator, which can be read only once (and has no len()): go "
                         "through it a single time, or make a list of it first.")


@points(1, "l2_penalty", kind="rule")
def test_l2_penalty_returns_a_0d_tensor_of_the_parameters_dtype_and_device(submission, device, dtype, rng):
    params, weight_decay = penalty_case(rng, dtype)
    report, what = call_penalty(submission, params, weight_decay, device, requires_grad=False)
    if report["output_shape"] != []:
        fail(f"{what} returned a tensor of shape {tuple(report['output_shape'])}; expected a 0-d tensor, as "
             "(param ** 2).sum() gives.")
    if report["output_type"] != "torch.Tensor" or report["output_dtype"] != str(dtype) \
            or report["output_device"] != device:
        fail(f"{what} returned a {report['output_type']} of {report['output_dtype']} on {report['output_device']}; "
             f"expected a torch.Tensor of {dtype} on {device}, like the parameters. Hint: a sum started from "
             "torch.tensor(0.0) is float32 on the CPU; start from 0 (a Python number), or from the first term.")


@points(1, "l2_penalty", kind="rule")
def test_l2_penalty_leaves_the_parameters_unmodified(submission, rng):
    params, weight_decay = penalty_case(rng, torch.float64)
    report, what = call_penalty(submission, params, weight_decay, requires_grad=False)
    changed = [index for index, flag in enumerate(report["modified"]) if flag]
    if changed:
        fail(f"{what} changed parameter(s) {changed} in place. Hint: p.pow_(2) or p *= p squares the parameter "
             "itself; use p ** 2 or p * p, which make new tensors.")


# ---------------------------------------------------------------- sgd_step_with_weight_decay

def decay_rule(kind):
    """A step rule p_new = rule(p, g, lr, wd) reproducing a known mistake (g is None: no gradient)."""
    def rule(p, g, lr, wd):
        if g is None:
            return p - lr * wd * p if kind == "decays_without_grad" else p.clone()
        if kind == "factor_two":
            return p - lr * (g + 2 * wd * p)
        if kind == "without_lr":
            return p - lr * g - wd * p
        if kind == "after":
            moved = p - lr * g
            return moved - lr * wd * moved
        if kind == "ignored":
            return p - lr * g
        if kind == "sign":
            return p - lr * (g - wd * p)
        if kind == "decays_without_grad":
            return p - lr * (g + wd * p)
        return p.clone()
    return rule


SGD_DECAY_MISTAKES = {
    "the decay is twice too strong: p.grad + 2 * weight_decay * p is the gradient of weight_decay * sum(p^2). "
    "torch.optim.SGD's weight_decay adds weight_decay * p to the gradient: the gradient of (weight_decay / 2) * "
    "sum(p^2).": "factor_two",
    "the decay was not multiplied by the learning rate: p <- p - lr * (p.grad + weight_decay * p).": "without_lr",
    "the decay was applied to the already updated parameter: compute p.grad + weight_decay * p from the parameter "
    "before the step, then take one step.": "after",
    "weight_decay was ignored: this is a plain SGD step.": "ignored",
    "the decay pushed the parameters away from zero: add weight_decay * p to the gradient, do not subtract it.":
        "sign",
    "a parameter without a gradient was decayed anyway: torch.optim.SGD skips it entirely, decay included.":
        "decays_without_grad",
    "the parameters did not change: `p = p - ...` builds a new tensor and only rebinds a name; update each "
    "tensor in place under torch.no_grad().": "unchanged",
}


def judge_step(kind):
    rule = decay_rule(kind)

    def step(params, lr, weight_decay):
        with _no_grad():
            for param in params:
                param.copy_(rule(param, param.grad, lr, weight_decay))
    return step


def sgd_decay_mistakes(params, grads, lr, weight_decay):
    return {hint: [decay_rule(kind)(p, g, lr, weight_decay) for p, g in zip(params, grads)]
            for hint, kind in SGD_DECAY_MISTAKES.items()}


def check_decay_step(submission, params, grads, lr, weight_decay, device, dtype):
    report, what = step_once(submission, "sgd_step_with_weight_decay", params, grads, [lr, weight_decay], device)
    expected = reference_step(params, grads, device, lr=lr, weight_decay=weight_decay)
    expect_step(report, what, expected, device, dtype, sgd_decay_mistakes(params, grads, lr, weight_decay))
    return report, what


@points(2, "sgd_step_with_weight_decay", kind="value")
def test_sgd_step_with_weight_decay_matches_one_torch_optim_sgd_step(submission, device, dtype, rng):
    params, grads = random_params(rng, dtype)
    report, what = check_decay_step(submission, params, grads, 0.1, 0.3, device, dtype)
    expect_gradients_kept(report["grads_cleared"], what)


@points(2, "sgd_step_with_weight_decay", kind="value")
def test_sgd_step_with_weight_decay_trains_a_model_like_torch_optim_sgd(submission, device, dtype, rng):
    problem = {"seed": seed_from(rng), "steps": 30, "sizes": [4, 8, 3]}
    lr, weight_decay = 0.2, 0.05
    what = (f"training a 4-8-3 tanh network for 30 steps with sgd_step_with_weight_decay(params, lr={lr}, "
            f"weight_decay={weight_decay}) on {device}, {dtype}")
    report = probe(submission, optim_probes.train_with_step, what=what, function="sgd_step_with_weight_decay",
                   args=[lr, weight_decay], problem=problem, dtype=str(dtype), device=device)
    expect_no_exception(report, what)
    expected = model_trajectory(lambda model: SGD(model.parameters(), lr=lr, weight_decay=weight_decay), problem,
                                dtype, device)
    makers = {hint: (lambda params, kind=kind: FunctionAsOptimizer(judge_step(kind), params, lr, weight_decay))
              for hint, kind in SGD_DECAY_MISTAKES.items()}
    expect_model_run(report, expected, what=what, reference=f"torch.optim.SGD(weight_decay={weight_decay})",
                     device=device, dtype=dtype, mistakes=model_mistakes(makers, problem, dtype))


@points(1, "sgd_step_with_weight_decay", kind="value")
def test_sgd_step_with_weight_decay_skips_parameters_without_a_gradient(submission, rng):
    params, grads = random_params(rng, torch.float64)
    grads[1] = None
    check_decay_step(submission, params, grads, 0.1, 0.3, "cpu", torch.float64)


@points(1, "sgd_step_with_weight_decay", kind="rule")
def test_sgd_step_with_weight_decay_keeps_the_same_leaf_tensors(submission, rng):
    params, grads = random_params(rng, torch.float64)
    report, what = step_once(submission, "sgd_step_with_weight_decay", params, grads, [0.05, 0.1])
    expect_same_leaves(report, what)


@points(1, "sgd_step_with_weight_decay", kind="forbidden")
def test_sgd_step_with_weight_decay_uses_no_torch_optim(submission, rng):
    params, grads = random_params(rng, torch.float32)
    report = probe(submission, optim_probes.step_once, what="sgd_step_with_weight_decay(params, 0.1, 0.3)",
                   function="sgd_step_with_weight_decay", params=params, grads=grads, args=[0.1, 0.3], watch=True)
    expect_no_torch_optim(submission, report, "sgd_step_with_weight_decay")


# ---------------------------------------------------------------- AdamW

ADAMW_DEFAULTS = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)


def adamw_mistakes(options: dict) -> dict:
    """Makers of optimizers that reproduce AdamW's known mistakes, for the hyperparameters `options`."""
    adam_options = {key: value for key, value in options.items() if key != "weight_decay"}
    weight_decay = options["weight_decay"]
    makers = {
        "this is Adam with an L2 penalty (torch.optim.Adam(weight_decay=...)): weight_decay * theta was added to "
        "the gradient, so it went through m and v and was rescaled by the adaptive denominator. AdamW decouples "
        "the decay: theta <- theta - lr * weight_decay * theta, apart from the Adam step.":
            lambda params: ADAM(params, **adam_options, weight_decay=weight_decay),
        "no weight decay was applied: this is plain Adam.": lambda params: ADAM(params, **adam_options),
        "the decay was not multiplied by the learning rate: AdamW shrinks theta by the factor "
        "(1 - lr * weight_decay), not (1 - weight_decay).":
            lambda params: Sketch(params, **options, decay="without_lr"),
        "the decay was applied after the Adam step, to the updated theta: torch.optim.AdamW shrinks theta first, "
        "then takes the Adam step.": lambda params: Sketch(params, **options, decay="after"),
        "the decay is twice too strong: theta <- theta - lr * weight_decay * theta, with no factor 2.":
            lambda params: ADAMW(params, **adam_options, weight_decay=2 * weight_decay),
    }
    makers.update(sketch_variants({**options, "decay": "decoupled"}, ADAM_MISTAKES))
    return makers


def check_adamw_linear(submission, kwargs, problem, dtype, device, **extra):
    options = {**ADAMW_DEFAULTS, **kwargs}
    return check_linear(submission, "AdamW", ADAMW, kwargs, problem, dtype, device, adamw_mistakes(options),
                        reference_name="torch.optim.AdamW", **extra)


@points(3, "AdamW", kind="value")
def test_adamw_matches_torch_optim_adamw_over_120_steps(submission, device, dtype, rng):
    problem = linear(rng, 120, [1, 2, 3, 10, 50, 120])
    check_adamw_linear(submission, dict(lr=0.01, betas=(0.9, 0.99), weight_decay=0.2), problem, dtype, device,
                       gradients_kept=True)


@points(1, "AdamW", kind="value")
def test_adamw_uses_torch_optim_adamw_defaults(submission, device, dtype, rng):
    problem = linear(rng, 60, [1, 2, 60])
    mistakes = {"this is what weight_decay=0 gives: torch.optim.AdamW's default is weight_decay=1e-2.":
                lambda params: ADAMW(params, weight_decay=0.0),
                "this is what lr=0.01 gives: torch.optim.AdamW's default is lr=1e-3.":
                lambda params: ADAMW(params, lr=1e-2)}
    mistakes.update(adamw_mistakes(ADAMW_DEFAULTS))
    check_linear(submission, "AdamW", ADAMW, {}, problem, dtype, device, mistakes,
                 reference_name="torch.optim.AdamW")


@points(1, "AdamW", kind="value")
def test_adamw_matches_torch_optim_adamw_for_tiny_gradients(submission, device, dtype, rng):
    problem = linear(rng, 30, [1, 2, 3, 10, 30], scales=[1e-9, 3e-8, 1e-8])
    check_adamw_linear(submission, dict(lr=1e-2, weight_decay=0.1), problem, dtype, device)


@points(2, "AdamW", kind="value")
def test_adamw_skips_parameters_without_a_gradient(submission, device, dtype, rng):
    problem = linear(rng, 40, [6, 7, 8, 20, 40], silent=[[1, 6]])
    kwargs = dict(lr=0.05, weight_decay=0.1)
    options = {**ADAMW_DEFAULTS, **kwargs}
    mistakes = {"a parameter without a gradient was decayed anyway: torch.optim.AdamW skips it entirely, decay "
                "included.": lambda params: SilentDecay(params, **options)}
    mistakes.update(adamw_mistakes(options))
    check_linear(submission, "AdamW", ADAMW, kwargs, problem, dtype, device, mistakes,
                 reference_name="torch.optim.AdamW",
                 hint="parameter 1 gets no gradient during the first 6 steps: it must be left alone then (no "
                      "decay either), and its own step count starts at 1 on its first update.")


class SilentDecay(Sketch):
    """AdamW that also decays the parameters without a gradient (a known mistake)."""

    def __init__(self, params, **options):
        super().__init__(params, **options, decay="decoupled")

    def step(self):
        with _no_grad():
            for param in self.params:
                if param.grad is None:
                    param.mul_(1 - self.lr * self.weight_decay)
        super().step()


@points(2, "AdamW", kind="value")
def test_adamw_trains_a_model_like_torch_optim_adamw(submission, device, dtype, rng):
    problem = {"seed": seed_from(rng), "steps": 40, "sizes": [4, 8, 3]}
    kwargs = dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)
    mistakes = adamw_mistakes(kwargs)
    mistakes.update(sketch_variants({**kwargs, "decay": "decoupled"}, IGNORED_ARGUMENTS))
    mistakes["this is what weight_decay=1e-2 gives: use the weight_decay passed to the constructor, not the "
             "default."] = lambda params: ADAMW(params, **{**kwargs, "weight_decay": 1e-2})
    check_model(submission, "AdamW", ADAMW, kwargs, problem, dtype, device, mistakes,
                reference_name="torch.optim.AdamW")


@points(1, "AdamW", kind="rule")
def test_adamw_zero_grad_clears_every_gradient(submission, rng):
    check_zero_grad(submission, "AdamW", {"lr": 0.1, "weight_decay": 0.1}, rng)


INVALID_ADAMW = [{"lr": -0.01}, {"betas": (1.0, 0.999)}, {"betas": (0.9, -0.5)}, {"eps": -1e-8},
                 {"weight_decay": -0.1}]


@points(1, "AdamW", kind="rule")
def test_adamw_rejects_invalid_hyperparameters(submission, rng):
    check_rejects(submission, "AdamW", INVALID_ADAMW, "torch.optim.AdamW")


@points(1, "AdamW", kind="rule")
def test_adamw_creates_no_tensor_on_another_device(submission, rng):
    check_device(submission, "AdamW", {"lr": 0.1, "weight_decay": 0.1}, rng)


@points(1, "AdamW", kind="forbidden")
def test_adamw_uses_no_torch_optim(submission, rng):
    check_no_torch_optim_class(submission, "AdamW", {"lr": 0.1, "weight_decay": 0.1}, rng)


# ---------------------------------------------------------------- decay_parameter_groups

def call_groups(submission, model, weight_decay, rng):
    what = f"decay_parameter_groups(<the {model} model>, {weight_decay})"
    report = probe(submission, wd_probes.parameter_groups, what=what, model=model, weight_decay=weight_decay,
                   seed=seed_from(rng))
    expect_no_exception(report, what)
    return report, what


def expect_two_groups(report, what):
    """Fail unless the report shows a list of two dicts with a 'params' key each (a list)."""
    groups = report.get("groups")
    if groups is None or len(groups) != 2:
        fail(f"{what} returned a {report['output_type']}"
             f"{f' of {len(groups)} items' if groups is not None else ''}; expected a list of two parameter "
             "groups, [decayed, not_decayed].")
    for index, group in enumerate(groups):
        if group["type"] != "dict" or "params" not in group.get("keys", []):
            kind = "dict without a 'params' key" if group["type"] == "dict" else group["type"]
            fail(f"{what}: group {index} is a {kind}; each group must be a dict "
                 "{'params': [...], 'weight_decay': ...}, as torch.optim expects.")
        if group.get("params") is None:
            fail(f"{what}: group {index}'s 'params' is a {group['params_type']}; use a list (a generator would be "
                 "used up the first time it is read).")


def expect_split(report, what):
    """Fail unless the report shows [decayed, not_decayed] holding the right parameters, each once."""
    shapes = {name: shape for name, shape in report["parameters"]}
    decayed = [name for name, shape in report["parameters"] if len(shape) >= 2]
    others = [name for name, shape in report["parameters"] if len(shape) < 2]
    expect_two_groups(report, what)
    groups = report["groups"]
    got = [group["params"] for group in groups]
    strangers = [item for members in got for item in members if item.startswith("<")]
    if strangers:
        fail(f"{what}: the groups hold {strangers[0]}; they must hold the model's own parameter tensors (no copies, "
             "no .data, no names), so that the optimizer updates the model.")

    def shown(names):
        return ", ".join(f"{name} {tuple(shapes[name])}" for name in names) or "nothing"
    if sorted(got[0]) != sorted(decayed) or sorted(got[1]) != sorted(others):
        hint = ""
        if sorted(got[0]) == sorted(others) and sorted(got[1]) == sorted(decayed):
            hint = " Hint: the two groups are swapped: the decayed group comes first."
        elif any(len(shapes[name]) < 2 and "bias" not in name for name in got[0]) or \
                any(len(shapes[name]) >= 2 for name in got[1]):
            hint = (" Hint: decide by the number of dimensions (p.ndim >= 2: a weight matrix or kernel), not by the "
                    "name: a LayerNorm weight or a 0-d scale is not called 'bias', yet must not be decayed.")
        fail(f"{what} split the parameters as\n  decayed:     {shown(got[0])}\n  not decayed: {shown(got[1])}\n"
             f"expected\n  decayed:     {shown(decayed)}\n  not decayed: {shown(others)}\n"
             "Parameters with 2 or more dimensions (weight matrices, convolution kernels) are decayed; those with "
             "fewer (biases, normalisation scales, 0-d parameters) are not." + hint)
    repeated = sorted({name for name in got[0] + got[1] if (got[0] + got[1]).count(name) > 1})
    if repeated:
        fail(f"{what}: {', '.join(repeated)} appear(s) more than once; torch.optim refuses a parameter listed twice.")


@pytest.mark.parametrize("model", ["mlp", "scaled", "conv"])
@points(3, "decay_parameter_groups", kind="value")
def test_decay_parameter_groups_decays_weights_but_not_biases(submission, model, rng):
    report, what = call_groups(submission, model, 0.05, rng)
    expect_split(report, what)


@points(1, "decay_parameter_groups", kind="rule")
def test_decay_parameter_groups_gives_each_group_its_weight_decay(submission, rng):
    report, what = call_groups(submission, "scaled", 0.05, rng)
    expect_two_groups(report, what)
    for index, (group, wanted) in enumerate(zip(report["groups"], (0.05, 0.0))):
        if "weight_decay" not in group["keys"]:
            fail(f"{what}: group {index} has no 'weight_decay' key, so the optimizer would use its own default "
                 f"for it (1e-2 for torch.optim.AdamW); set it to {wanted}.")
        if group["weight_decay"] is None or group["weight_decay"] != wanted:
            got = group["weight_decay"] if group["weight_decay"] is not None else f"a {group['weight_decay_type']}"
            fail(f"{what}: group {index} has weight_decay {got}; expected {wanted} "
                 f"({'the weight_decay passed in' if index == 0 else '0.0: no decay'}).")


GROUP_MISTAKES = {
    "every parameter was decayed, biases and normalisation scales included.": "all",
    "no parameter was decayed.": "none",
    "the groups' weight decays are swapped: the weights were left alone and the biases decayed.": "swapped",
    "the not-decayed group has no 'weight_decay' key, so the optimizer applied its default (1e-2) to it.":
        "default_second",
    "the parameters were chosen by name: everything not called 'bias' was decayed, the 1-d gain (called "
    "'weight') and the 0-d scale included; decide by p.ndim >= 2.": "by_name",
    "the optimizer changed nothing: the groups hold tensors that are not the model's parameters (copies, "
    ".data or .detach()), so the model's gradients never reach them.": "detached",
}


def reference_groups(model, weight_decay, variant="reference"):
    weights = [param for param in model.parameters() if param.dim() >= 2]
    others = [param for param in model.parameters() if param.dim() < 2]
    if variant == "by_name":
        weights = [param for name, param in model.named_parameters() if "bias" not in name]
        others = [param for name, param in model.named_parameters() if "bias" in name]
    if variant == "detached":
        weights, others = [param.detach() for param in weights], [param.detach() for param in others]
    if variant == "all":
        return [{"params": weights + others, "weight_decay": weight_decay}]
    if variant == "none":
        return [{"params": weights + others, "weight_decay": 0.0}]
    if variant == "swapped":
        return [{"params": weights, "weight_decay": 0.0}, {"params": others, "weight_decay": weight_decay}]
    if variant == "default_second":
        return [{"params": weights, "weight_decay": weight_decay}, {"params": others}]
    return [{"params": weights, "weight_decay": weight_decay}, {"params": others, "weight_decay": 0.0}]


def check_groups_training(submission, optimizer, options, device, dtype, rng):
    seed, weight_decay, steps = seed_from(rng), 0.2, 25
    shown = ", ".join(f"{key}={value!r}" for key, value in options.items())
    what = (f"torch.optim.{optimizer}(decay_parameter_groups(model, {weight_decay}), {shown}) training a model with "
            f"a 1-d gain and a 0-d scale for {steps} steps on {device}, {dtype}")
    report = probe(submission, wd_probes.train_with_groups, what=what, optimizer=optimizer, options=options,
                   weight_decay=weight_decay, seed=seed, steps=steps, dtype=str(dtype), device=device)
    expect_no_exception(report, what)
    reference = {"AdamW": ADAMW, "SGD": SGD}[optimizer]

    def run(variant, on=device):
        model = build_model("gained", seed, dtype, on)
        return train_model(model, reference(reference_groups(model, weight_decay, variant), **options), seed, steps,
                           dtype, on)
    expected = run("reference")
    names = list(expected["params"])
    got = {"losses": report["losses"], "params": [report["params"].get(name) for name in names]}
    mistakes = {hint: (lambda variant=variant: (lambda result: [result["losses"], list(result["params"].values())])(
        run(variant, "cpu"))) for hint, variant in GROUP_MISTAKES.items()}
    expect_model_run(got, {"losses": expected["losses"], "params": list(expected["params"].values())}, what=what,
                     reference="the same optimizer given the right groups", device=device, dtype=dtype,
                     mistakes=mistakes)


@points(2, "decay_parameter_groups", kind="value")
def test_decay_parameter_groups_works_with_torch_optim_adamw(submission, device, dtype, rng):
    check_groups_training(submission, "AdamW", {"lr": 0.05}, device, dtype, rng)


@points(1, "decay_parameter_groups", kind="value")
def test_decay_parameter_groups_works_with_torch_optim_sgd(submission, rng):
    check_groups_training(submission, "SGD", {"lr": 0.1}, "cpu", torch.float64, rng)
