"""The checks that graders share: calling a student's function through the proxy and judging
what came back against a reference computed here, in the judge.

Every check but the value check is awarded only when the function also returns the right
value on the same inputs: a function that does nothing useful earns nothing for, say, leaving
its inputs alone or calling no forbidden built-in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
import torch
from torch import Tensor, equal, randn  # bound at import, before any submission is loaded
from torch.autograd import grad as autograd_grad

from graders.checks import source_scan
from graders.checks.compare import expect_close, fail, message, mismatch
from graders.engine.faults import SubmissionFault
from graders.engine.proxy import Submission
from graders.probes import core


def points(n, function: str, *, hidden: bool = False):
    """The `points` marker: the check is worth `n` points towards the graded `function`. A `hidden` check
    counts the same everywhere; on Gradescope its row stays hidden from students until the grades are
    published."""
    return pytest.mark.points(n, function=function, hidden=hidden)


@dataclasses.dataclass(frozen=True)
class Case:
    """One way of calling a function: positional tensors and keyword options, built on the CPU."""

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)

    def on(self, device):
        move = lambda value: value.to(device) if isinstance(value, Tensor) else value  # noqa: E731
        return tuple(move(arg) for arg in self.args), {key: move(value) for key, value in self.kwargs.items()}

    def signature(self, function: str) -> str:
        shown = [_describe(arg) for arg in self.args] + [f"{key}={value!r}" for key, value in self.kwargs.items()]
        return f"{function}({', '.join(shown)})"


def _describe(value):
    if isinstance(value, Tensor):
        return f"<{str(value.dtype).removeprefix('torch.')} tensor of shape {tuple(value.shape)}>"
    return repr(value)


def probe(submission: Submission, routine: str, *, what: str, timeout: float | None = None, **kwargs) -> dict:
    """Run the probe `routine` (e.g. core.call) and return its report.

    Fails the check when the submission could not answer, or when the probe reports a name the
    submission does not define (a probe returns {"missing": name} for that).
    """
    try:
        report, problem = submission.run(routine, timeout=timeout, **kwargs), None
    except SubmissionFault as error:
        report, problem = None, str(error)
    if problem:  # outside the except block, so that the report shows the reason and nothing else
        fail(f"{what} could not be run: {problem}")
    if isinstance(report, dict) and report.get("missing"):
        fail(missing_message(submission, report["missing"]))
    _from_the_data(report)
    return report


def _from_the_data(report):
    """Where a probe returned the output itself, its dtype, device and shape are read from the tensor
    that arrived (a `meta` output arrives as a `meta` tensor), not from what the worker said of it."""
    if isinstance(report, list):
        for item in report:
            _from_the_data(item)
    elif isinstance(report, dict):
        output = report.get("output")
        if isinstance(output, Tensor):
            report.update(output_dtype=str(output.dtype), output_device=output.device.type,
                          output_shape=list(output.shape))
        for value in report.values():
            if isinstance(value, (list, dict)):
                _from_the_data(value)


def call(submission: Submission, function: str, case: Case, *, device="cpu", requires_grad=(),
         grad_weight=None, watch=None) -> dict:
    """Run the student's `function` on `case` and return the report of `probes.call`."""
    return probe(submission, core.call, what=case.signature(function), function=function,
                 args=list(case.args), kwargs=case.kwargs, device=device, requires_grad=list(requires_grad),
                 grad_weight=grad_weight, watch=watch)


def missing_message(submission: Submission, function: str) -> str:
    message = f"`{function}` is not defined in the submission."
    if submission.load_errors:
        message += " Loading the submission raised errors, which may be why:\n" + "\n".join(
            f"  {error}" for error in submission.load_errors[:5])
    return message


# ---------------------------------------------------------------- the verdicts every grader shares

def fail_if_raised(raised: dict | None, what: str, hint: str | None = None):
    """A student's exception (as a probe reports it) fails the check, saying what raised what."""
    if raised:
        fail(message(f"{what} raised {raised['message']}", hint=hint))


def gate(problem: str | None, what: str, needs: str, see: str):
    """The one gate: a contract-rule, device or built-in check is awarded only to a function that
    does its job, so while `problem` stands it fails as "not checked yet", saying why."""
    if problem:
        fail(message(f"not checked yet: {what} must first {needs} (see {see}).",
                     details=f"What went wrong: {problem.splitlines()[0]}"))


def expect_raises_like_pytorch(raised: dict | None, call_text: str, reference_name: str, rule: str, *,
                               exception: str = "ValueError", hint: str | None = None):
    """Fail unless the call raised `exception` (or a subclass), as `reference_name` does for `rule`."""
    if raised and exception in raised["bases"]:
        return
    got = f"raised {raised['message']}" if raised else "returned without raising"
    if hint is None and raised and "AssertionError" in raised["bases"]:
        hint = "assert statements are removed when Python runs with -O; raise ValueError(...) explicitly."
    fail(message(f"{call_text} {got}; {reference_name} raises {exception} {rule}, and so must yours.", hint=hint))


def expect_on_input_device(raised: dict | None, output_device: str | None, what: str, hint: str):
    """The device verdict, from a run on the `meta` device (which has no values): a tensor created on
    the default device is caught mixing with the inputs, as it would be on a GPU. "Cannot copy out of
    meta tensor" means a value was moved to the CPU (.cpu(), .item() into a new tensor): on a GPU,
    a device mistake too."""
    text = raised["message"] if raised else ""
    if raised and "meta" in text and ("device" in text or "copy out" in text):
        fail(message(f"{what} mixes tensors of different devices: on a GPU it would fail with {text}", hint=hint))
    if not raised and output_device not in (None, "meta"):
        fail(message(f"{what} returned a tensor on {output_device} for inputs on another device.", hint=hint))


def expect_no_forbidden_builtin(function: str, used, *, instead: str):
    """Fail when either witness saw a forbidden built-in: the worker's record of what ran, or the
    judge's scan of the source (`used` holds both)."""
    if used:
        fail(message(f"{function} relies on built-ins that this exercise asks you to write yourself: "
                     f"{', '.join(sorted(set(used)))}.", hint=instead))


def output_of(report: dict, what: str, hint: str | None = None) -> torch.Tensor:
    """The tensor the function returned; fails the check if it raised or returned something else."""
    fail_if_raised(report["raised"], what, hint)
    output = report.get("output")
    if report["output_type"] != "torch.Tensor" and not isinstance(output, Tensor):
        fail(f"{what} returned a {report['output_type']}; a torch.Tensor was expected")
    if not isinstance(output, Tensor):
        fail(f"{what} returned a {report['output_type']} whose values could not be read")
    return output


@dataclasses.dataclass(frozen=True)
class Function:
    """What the graders know about one function of the contract."""

    name: str
    reference: Callable
    reference_name: str
    forbidden: str
    differentiable: tuple = (0,)
    arg_names: tuple = ("input", "target")

    def expected(self, case: Case, device: str, exact: bool = False) -> torch.Tensor:
        """The reference's result; `exact` computes it in float64 and rounds once to the input's dtype,
        for inputs so large that the built-in's own float32 rounding would exceed the tolerance."""
        args, kwargs = case.on(device)
        if not exact:
            return self.reference(*args, **kwargs)
        dtype = next(arg.dtype for arg in args if isinstance(arg, torch.Tensor) and arg.is_floating_point())
        widened = [arg.double() if isinstance(arg, torch.Tensor) and arg.is_floating_point() else arg for arg in args]
        return self.reference(*widened, **kwargs).to(dtype)


def check_value(submission, spec: Function, case: Case, device: str, *, mistakes=None, hint=None, exact=False):
    what = f"{case.signature(spec.name)} on {device}"
    output = output_of(call(submission, spec.name, case, device=device), what, hint)
    expect_close(output, spec.expected(case, device, exact),
                 what=f"{what}: the values differ from {spec.reference_name}.",
                 device=device, mistakes=_evaluate(mistakes, case, device), hint=hint)


def check_gradient(submission, spec: Function, case: Case, device: str, rng, *, hint=None, exact=False):
    args, kwargs = case.on(device)
    dtype = args[spec.differentiable[0]].dtype
    if exact:
        args = tuple(arg.double() if isinstance(arg, torch.Tensor) and arg.is_floating_point() else arg
                     for arg in args)
    leaves = [args[i].detach().requires_grad_() for i in spec.differentiable]
    inputs = list(args)
    for position, leaf in zip(spec.differentiable, leaves):
        inputs[position] = leaf
    expected = spec.reference(*inputs, **kwargs)
    weight = randn(expected.shape, generator=rng, dtype=dtype)
    expected_grads = [grad.to(dtype) for grad in
                      autograd_grad((expected * weight.to(device, expected.dtype)).sum(), leaves)]
    what = f"{case.signature(spec.name)} on {device}"
    report = call(submission, spec.name, case, device=device, requires_grad=spec.differentiable,
                  grad_weight=weight)
    output_of(report, what, hint)
    if report.get("grad_error"):
        fail(f"back-propagating through {what} failed: {report['grad_error']}")
    for position, got, want in zip(spec.differentiable, report["grads"], expected_grads):
        name = spec.arg_names[position] if position < len(spec.arg_names) else f"argument {position + 1}"
        if got is None:
            fail(f"{what}: no gradient reached argument {position + 1} ({name}); "
                 "was it detached, converted with .item()/.tolist(), or rebuilt with torch.tensor()?")
        expect_close(got, want, device=device, hint=hint,
                     what=f"{what}: the gradient with respect to argument {position + 1} ({name}) "
                          f"differs from {spec.reference_name}'s.")


def check_value_then(submission, spec: Function, case: Case, device: str = "cpu", **options) -> dict:
    """Call the function and fail unless it returns the right value; return the probe's report."""
    what = f"{case.signature(spec.name)} on {device}"
    report = call(submission, spec.name, case, device=device, **options)
    output = output_of(report, what)
    gate(mismatch(output, spec.expected(case, device), device), what, "return the right value",
         f"the check that compares {spec.name} with {spec.reference_name}")
    return report


def check_plain_tensor_like_input(submission, spec: Function, case: Case, device: str, dtype):
    report = check_value_then(submission, spec, case, device)
    what = f"{case.signature(spec.name)} on {device}"
    if report["output_type"] != "torch.Tensor":
        fail(f"{what} returned a {report['output_type']}; it must return exactly a torch.Tensor, "
             "as the built-in does, not a subclass or a wrapper.")
    if report["output_dtype"] != str(dtype):
        fail(f"{what} returned {report['output_dtype']}; expected {dtype}, the input's dtype. "
             "Hint: a tensor created without dtype= (torch.tensor(...), torch.zeros(...)) is float32, "
             "and .double()/.float() change the dtype.")
    if report["output_device"] != device:
        fail(f"{what} returned a tensor on {report['output_device']}; expected {device}, the input's device.")


def check_rejects_unknown_reduction(submission, spec: Function, case: Case):
    check_value_then(submission, spec, case)
    bad = Case(case.args, {**case.kwargs, "reduction": "avg"})
    expect_raises_like_pytorch(call(submission, spec.name, bad)["raised"], bad.signature(spec.name),
                               spec.reference_name, "for an unknown reduction (valid values: 'mean', 'sum', 'none')")


def check_inputs_unmodified(submission, spec: Function, case: Case):
    report = check_value_then(submission, spec, case)
    if report["threads_left"]:
        fail(f"{case.signature(spec.name)} left {report['threads_left']} thread(s) running, which may still change "
             "its inputs; a function must finish its work before it returns.")
    changed = [position + 1 for position, (sent, after) in enumerate(zip(case.args, report["inputs_after"]))
               if isinstance(sent, Tensor) and not (isinstance(after, Tensor) and after.shape == sent.shape
                                                    and after.dtype == sent.dtype and equal(after, sent))]
    if changed:
        fail(f"{case.signature(spec.name)} changed argument(s) {changed} in place. "
             "Hint: in-place operations (x -= ..., x.sub_(...), x[...] = ...) on an argument change the "
             "caller's tensor; compute a new tensor instead.")


def check_no_forbidden_builtin(submission, spec: Function, case: Case):
    report = check_value_then(submission, spec, case, watch=spec.forbidden)
    used = set(report["calls"]) | set(source_scan.named_in_source(submission.sources, spec.name, spec.forbidden))
    expect_no_forbidden_builtin(spec.name, used, instead="implement it from elementary tensor operations.")


def check_stays_on_input_device(submission, spec: Function, case: Case):
    """Run the function on tensors of the `meta` device, which has no values, so that any tensor
    created on the CPU by default is caught mixing with them, as it would be on a GPU."""
    check_value_then(submission, spec, case)
    what = case.signature(spec.name)
    report = call(submission, spec.name, case, device="meta")
    expect_on_input_device(report["raised"], report.get("output_device"), what,
                           hint="create new tensors with device=input.device (or use torch.zeros_like / "
                                "new_zeros), never on the default device.")


def _evaluate(mistakes, case, device):
    if not mistakes:
        return None
    args, kwargs = case.on(device)
    return {hint: make(*args, **kwargs) for hint, make in mistakes.items()}
