"""The checks that graders share: calling a student's function through the proxy and judging
what came back against a reference computed here, in the judge.

Every check runs on every submission and judges its own rule only, so that a student sees all
their problems at once. Whether its points count is the points policy's business, applied in one
place (`graders.engine.report.Scoreboard.results`): a function wrong on every case of its value
checks (`points(..., kind="value")`) earns nothing, nor does one whose work a forbidden built-in
does (`expect_no_forbidden_builtin`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
import torch
from torch import Tensor, equal, randn  # bound at import, before any submission is loaded
from torch.autograd import grad as autograd_grad

import graders.checks.source_scan as source_scan
from graders.checks.compare import expect_close, fail, message
from graders.engine.faults import SubmissionFault
from graders.engine.proxy import Submission
from graders.engine.report import KINDS, ForbiddenBuiltin
import graders.probes.core as core


def points(n, function: str, kind: str = "rule", *, hidden: bool = False):
    """The `points` marker: the check is worth `n` points towards the graded `function`.

    `kind` tells the points policy what the check is: "value" (a case the function must get right;
    a function right on no value case earns nothing), "gradient", "rule" (a contract rule, the
    device, the output's type) or "forbidden" (no forbidden built-in does the work). A `hidden` check
    counts the same everywhere; on Gradescope its row stays hidden from students until the grades are
    published."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    return pytest.mark.points(n, function=function, kind=kind, hidden=hidden)


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
    """A precondition, for the few value checks that cannot judge their rule without a valid output
    (dropout's statistics need a dropout first): while `problem` stands the check fails as "not
    checked yet", saying why. Contract-rule, device and built-in checks never use it: they judge
    their own rule, and the points policy decides what counts."""
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


def expect_no_forbidden_builtin(function: str, found, *, instead: str):
    """Fail when either witness saw a forbidden built-in: the worker's record of what ran, or the
    judge's scan of the source. `found` lists each use as "name (where)" (see `forbidden_uses`).

    The failure is a fact, `ForbiddenBuiltin`, which the points policy reads: the function then
    earns nothing, since its work is done by what the exercise asks the student to write."""
    found = list(dict.fromkeys(found))
    if found:
        raise ForbiddenBuiltin(message(
            f"{function} relies on built-ins that this exercise asks you to write yourself: {', '.join(found)}. "
            f"While it does, {function} earns no points.", hint=instead), function, found)


def forbidden_uses(submission: Submission, function: str, pattern: str, report: dict | None = None, *,
                   whole_names: bool = False, shown=None) -> list[str]:
    """Each use of a forbidden built-in in `function`, as "name (where)": first what the scan of the
    source finds (names resolved through the imports; `pattern` matched against each part of a
    dotted name, or against the whole name with `whole_names`), then, for each place in the code
    that the source does not explain, the most readable of the names the probe's `report` saw run
    there ("calls", located by "where"). `shown` maps a recorded name to the name to show (None
    leaves it out)."""
    labels = getattr(submission, "labels", None) or []
    uses, places = [], set()
    for _, name, index, line in source_scan.forbidden_in_source(submission.sources, function, pattern,
                                                                parts=not whole_names):
        place = f"{labels[index] + ', ' if index < len(labels) and labels[index] else ''}line {line}"
        uses.append(f"{name} ({place})")
        places.add(place)
    where = (report or {}).get("where") or {}
    at_run_time: dict = {}
    for name in (report or {}).get("calls") or []:
        display, place = (shown(name) if shown else name), where.get(name)
        if display and place not in places:
            at_run_time.setdefault(place, []).append(display)
    for place, names in at_run_time.items():
        if place in places or (place is None and uses):
            continue
        # the first entered (the outermost call) unless it is an operator, a private name or a bare name
        best = min(names, key=lambda n: (n.startswith("aten."), "._" in n or n.startswith("_"), "." not in n,
                                         names.index(n)))
        uses.append(f"{best} (called at run time{', ' + place if place else ''})")
    return list(dict.fromkeys(uses))


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


def _weighted_gradients(function, args, kwargs, positions, weight, device):
    """The gradients of sum(function(*args) * weight) with respect to the arguments at `positions`."""
    leaves = [args[i].detach().requires_grad_() for i in positions]
    inputs = list(args)
    for position, leaf in zip(positions, leaves):
        inputs[position] = leaf
    result = function(*inputs, **kwargs)
    return autograd_grad((result * weight.to(device, result.dtype)).sum(), leaves, allow_unused=True)


def check_gradient(submission, spec: Function, case: Case, device: str, rng, *, hint=None, exact=False,
                   mistakes=None):
    """Compare the gradients with the reference's. `mistakes` maps a hint to a wrong function of the
    same arguments: its gradients, recomputed here with the same weights, name the mistake when the
    submission's reproduce them."""
    args, kwargs = case.on(device)
    dtype = args[spec.differentiable[0]].dtype
    plain = args
    if exact:
        args = tuple(arg.double() if isinstance(arg, torch.Tensor) and arg.is_floating_point() else arg
                     for arg in args)
    expected = spec.reference(*args, **kwargs)
    weight = randn(expected.shape, generator=rng, dtype=dtype)
    expected_grads = [grad.to(dtype) for grad in
                      _weighted_gradients(spec.reference, args, kwargs, spec.differentiable, weight, device)]
    wrong = {}
    for text, makers in (mistakes or {}).items():
        wrong[text] = []
        for make in makers if isinstance(makers, list) else [makers]:
            try:
                wrong[text].append(_weighted_gradients(make, plain, kwargs, spec.differentiable, weight, device))
            except RuntimeError:  # a mistake whose result does not fit the weights cannot be reproduced
                continue
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
        index = spec.differentiable.index(position)
        expect_close(got, want, device=device, hint=hint,
                     mistakes={text: [grads[index] for grads in variants] for text, variants in wrong.items()},
                     what=f"{what}: the gradient with respect to argument {position + 1} ({name}) "
                          f"differs from {spec.reference_name}'s.")


def check_plain_tensor_like_input(submission, spec: Function, case: Case, device: str, dtype):
    what = f"{case.signature(spec.name)} on {device}"
    report = call(submission, spec.name, case, device=device)
    output_of(report, what)
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
    bad = Case(case.args, {**case.kwargs, "reduction": "avg"})
    expect_raises_like_pytorch(call(submission, spec.name, bad)["raised"], bad.signature(spec.name),
                               spec.reference_name, "for an unknown reduction (valid values: 'mean', 'sum', 'none')")


def check_inputs_unmodified(submission, spec: Function, case: Case):
    report = call(submission, spec.name, case)
    fail_if_raised(report["raised"], case.signature(spec.name))
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
    """Whatever the function returns (or raises): neither witness may see a forbidden built-in."""
    report = call(submission, spec.name, case, watch=spec.forbidden)
    expect_no_forbidden_builtin(spec.name, forbidden_uses(submission, spec.name, spec.forbidden, report),
                                instead="implement it from elementary tensor operations.")


def check_stays_on_input_device(submission, spec: Function, case: Case):
    """Run the function on tensors of the `meta` device, which has no values, so that any tensor
    created on the CPU by default is caught mixing with them, as it would be on a GPU."""
    what = case.signature(spec.name)
    report = call(submission, spec.name, case, device="meta")
    expect_on_input_device(report["raised"], report.get("output_device"), what,
                           hint="create new tensors with device=input.device (or use torch.zeros_like / "
                                "new_zeros), never on the default device.")


def _evaluate(mistakes, case, device):
    """The recomputed results of the known mistakes (a hint may name several variants)."""
    if not mistakes:
        return None
    args, kwargs = case.on(device)
    return {hint: [make(*args, **kwargs) for make in makers] if isinstance(makers, list) else makers(*args, **kwargs)
            for hint, makers in mistakes.items()}
