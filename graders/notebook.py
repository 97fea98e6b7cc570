"""The student's practice view: the notebook's test cells call `grade` while the student works.

This is feedback, never the recorded grade: under `nbgrader autograde` (with the course's
nbgrader_config.py), `nngrade check` and `nngrade grade` the notebook is graded by the isolated
engine instead, and no test cell runs in a kernel (graders/engine/autograde.py). The report `grade` shows
is the one those paths put into the test cell (`report.function_verdict`), from the same graders
on the same inputs, so an honest notebook sees here the score it will get.

The notebook's `grader` cell imports this module before any of the student's cells run, so the
graders, the PyTorch references they compare against, and a snapshot of the libraries they use
are all taken from an untouched interpreter. `grade(function)` runs that function's checks (the
same pytest graders as `nngrade check`) on the functions defined in the notebook, shows a short
report (HTML in Jupyter, with its plain text beside it), and returns the points earned as a plain
float. `check_all(assignment)`, in the notebook's last cell, runs every check and shows the whole
assignment's verdict.

What a call of `grade` guarantees, inside the student's own kernel:

* the score is a plain `float` between 0 and the points the graders declare for the function,
  which are also the test cell's points (nbgrader fails a whole notebook when a cell returns more);
* nothing reaches the cell's stderr (nbgrader scores a test cell with any stderr output as zero):
  warnings and anything written to stderr while grading, by the graders or by the student's code,
  from Python or from C, is captured; the warnings are listed in the report instead;
* the libraries the graders rely on are the ones imported before the student's cells ran: every
  function, class and method of torch, numpy, pytest, the graders and a few standard modules that
  the student replaced (`torch.testing.assert_close = ...`, `F.mse_loss = ...`, `torch.isclose =
  ...`, `torch.Tensor.__eq__ = ...`) is put back for the duration of the call, and the part the
  judge compares with is put back again after each probe that ran the student's code (so a
  function that patches torch while it runs gains nothing either); the student's replacements
  are reinstated afterwards.

What it does not guarantee: the student's code runs in this process, so a student who targets the
grading machinery itself (rebinding the name `grade`, walking the stack to its scoreboard, editing
this module's functions) can make this practice view show a score it did not earn. That fools only
the student: the recorded score is computed in the isolated engine, where none of it reaches.
"""

from __future__ import annotations

import builtins
import html
import importlib
import math
import os
import sys
import warnings

import torch  # imported before any student code, with everything below

from graders import plugin, probes
from graders.engine import codec, kernel_guard, loader, runner
from graders.engine.proxy import InProcess, Submission
from graders.engine.report import Scoreboard, Verdict, assignment_html, assignment_text, function_verdict
from graders.probes import recorder

try:
    from IPython.display import display as _display
except ImportError:  # not in a Jupyter kernel: the reports are printed
    _display = None

# Import every grader now, before student code can replace what they rely on.
GRADERS = {name: importlib.import_module(f"graders.test_{name}") for name in runner.assignments()}

# pytest's default plugins are imported on the first run; import them now so they are snapshotted.
runner.import_pytest_plugins()

# The base seed of the checks' inputs. An instructor can grade on inputs the students never saw
# with `NNGRADE_SEED=<n> nbgrader autograde <a>`; read once, before student code can change it.
SEED = int(os.environ.get("NNGRADE_SEED", "0") or "0")

# Built-ins this module uses on the score, bound before student code could replace them.
_float, _min, _max, _isfinite, _print = float, min, max, math.isfinite, print

# pytest options for a grading run inside a kernel, on top of the runner's (nngrade's plugin and no
# other): no warnings plugin, since `grade` captures warnings itself.
_PYTEST_OPTIONS = ["-p", "no:warnings"]

# The first operation on the `meta` device (the device checks) imports torch._dynamo and sympy, a second:
# do it now, with the imports, so that the first `grade` cell does not wait for it.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    with recorder.recording_calls():
        torch.zeros(1).add(1)
        torch.log_softmax(torch.zeros(1, 2, device="meta"), dim=1)


POINTS = {assignment: runner.declared_points(assignment) for assignment in GRADERS}


def assignment_of(function: str) -> str:
    for assignment, functions in POINTS.items():
        if function in functions:
            return assignment
    raise ValueError(f"no assignment grades a function named {function!r}")


class _GuardedInProcess(InProcess):
    """The in-process backend, with the library put back right after each call of student code,
    before the judge looks at what came back."""

    def run(self, probe: str, header: str, blobs: list[bytes], timeout: float | None = None):
        routine = probes.resolve(probe)
        kwargs = codec.decode(header, blobs)
        try:
            result = routine(self.namespace, **kwargs)
        finally:
            _LIBRARY.restore(hot_only=True)
        return codec.encode(result)


# ----------------------------------------------------------------- grading

class _Notebook:
    """Hands the notebook's own namespace to the graders as the submission."""

    def __init__(self, submission):
        self.submission = submission

    def pytest_configure(self, config):
        config.stash[plugin.PROVIDED_SUBMISSION] = self.submission


def grade(function: str, namespace: dict | None = None, *, device: str = "all", seed: int | None = None) -> float:
    """Run the checks of `function` on the notebook's definitions; show a report; return the points."""
    undo = _LIBRARY.restore()
    try:
        if namespace is None:
            namespace = _caller_namespace()
        assignment = assignment_of(function)
        points = POINTS[assignment][function]
        board, noise = _graded(assignment, namespace, ["--function", function], device, seed)
        earned, _ = board.total()
        score = _min(_max(_float(earned), 0.0), _float(points))
        if not _isfinite(score):
            score = 0.0
        verdict = function_verdict(board, function, score, points)
        _show(verdict, noise, _devices_note(board))
    finally:
        kernel_guard.Library.reinstate(undo)
    return score


def check_all(assignment: str, namespace: dict | None = None, *, device: str = "all", seed: int | None = None):
    """Run every check of `assignment` on the notebook's definitions and show the whole verdict: the
    total, each function's score, and every failure explained. It records nothing: the notebook's
    grade is the sum of its test cells' scores, computed again when the notebook is graded."""
    undo = _LIBRARY.restore()
    try:
        if assignment not in POINTS:
            raise ValueError(f"no assignment named {assignment!r} (known: {', '.join(POINTS)})")
        if namespace is None:
            namespace = _caller_namespace()
        board, noise = _graded(assignment, namespace, [], device, seed)
        _show(Verdict(board.total()[0], assignment_text(board, assignment), assignment_html(board, assignment)),
              noise, _devices_note(board))
    finally:
        kernel_guard.Library.reinstate(undo)


def _graded(assignment: str, namespace: dict, selection: list[str], device: str, seed: int | None):
    """Run the graders of `assignment` (the checks that `selection` picks) on `namespace`, in this
    kernel, with the libraries as they were imported; return the scoreboard and what grading wrote."""
    board = Scoreboard()
    submission = Submission(_GuardedInProcess(namespace), sources=loader.kernel_history_sources(namespace))
    with kernel_guard.captured_stderr() as noise, kernel_guard.pytest_environment():
        code = runner.run_pytest([str(runner.grader_file(assignment)), *selection, "--device", device,
                                  "--seed", str(SEED if seed is None else seed), *_PYTEST_OPTIONS],
                                 board, extra_plugins=[_Notebook(submission)])
    _LIBRARY.restore()
    if code not in (0, 1):
        raise RuntimeError(f"the graders of {assignment} could not run (pytest exit code {code})")
    return board, noise


_devices_noted = False


def _devices_note(board: Scoreboard) -> str:
    """Which devices this computer lacks, said once per kernel, not in every cell: the checks of an
    absent device are left out here and count for nothing, wherever the notebook is graded."""
    global _devices_noted
    absent = board.skipped_devices()
    if not absent or _devices_noted:
        return ""
    _devices_noted = True
    return (f"Checked on {', '.join(board.devices()) or 'no device'}: this computer has no "
            f"{' or '.join(absent)} device, so those cases were left out (they count for nothing either way).")


def _show(verdict: Verdict, noise: kernel_guard.Noise, note: str):
    """The report as Jupyter shows it (HTML, with the plain text beside it for front ends without HTML),
    or as plain text outside a notebook."""
    extra = noise.summary() + (f"\n\n{note}" if note else "")
    text = verdict.text + extra
    if _display is None or getattr(builtins, "get_ipython", None) is None:
        _print(text)
        return
    markup = verdict.html
    if extra.strip():
        markup += (f'<div style="white-space: pre-wrap; word-break: normal; color: #4b5563; margin-top: 6px">'
                   f"{html.escape(extra.strip())}</div>")
    _display({"text/plain": text, "text/html": markup}, raw=True)


def _caller_namespace() -> dict:
    try:
        return builtins.get_ipython().user_ns
    except AttributeError:
        return sys._getframe(2).f_globals


# Last, so that this module's own functions are part of the snapshot.
_LIBRARY = kernel_guard.Library()
