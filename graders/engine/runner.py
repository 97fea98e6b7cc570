"""The one way to run the graders from Python: `nngrade check`, `nngrade grade`, nbgrader's autograde,
the notebook's practice cells and the project's tests all come through here."""

from __future__ import annotations

import functools
import os
import re
import tempfile
from pathlib import Path

GRADERS_DIR = Path(__file__).resolve().parents[1]


def assignments() -> list[str]:
    return sorted(path.stem.removeprefix("test_") for path in GRADERS_DIR.glob("test_*.py"))


def grader_file(assignment: str) -> Path:
    return GRADERS_DIR / f"test_{assignment}.py"


# pytest's own plugins that a grading never uses, left out: each adds its hooks to every one of a
# grading's few hundred test phases. unraisableexception also runs gc.collect() five times at the end of
# every session (seconds in a process holding torch), and the terminal report has nothing to add.
UNUSED_PLUGINS = ("cacheprovider", "terminal", "unraisableexception", "threadexception", "logging", "debugging",
                  "unittest", "legacypath", "tmpdir", "monkeypatch", "recwarn", "pastebin", "junitxml", "doctest",
                  "setuponly", "setupplan", "stepwise", "faulthandler", "subtests")


def import_pytest_plugins():
    """Import pytest's own plugins, which its first run would: before a kernel's student code runs, or in
    the fork server a batch's judges are forked from."""
    import importlib

    import _pytest.config

    for name in _pytest.config.default_plugins:
        try:
            importlib.import_module(f"_pytest.{name}")
        except ImportError:
            pass


def run_pytest(args: list[str], board, extra_plugins=()) -> int:
    """Run the graders with nngrade's scoreboard, keeping pytest's own report off the screen."""
    import pytest

    # Other packages' pytest plugins are not loaded (nngrade's own is named): they cost start-up time
    # (anyio's alone 0.3 s) and have no say in a grade. The graders fail through `fail(...)`, never a
    # bare assert, so pytest's assertion rewriting would only recompile them.
    quiet = ["--disable-plugin-autoload", "-p", "graders.plugin", "--assert=plain", "-o", "addopts=",
             "--rootdir", str(GRADERS_DIR), "--capture=sys",
             *(option for name in UNUSED_PLUGINS for option in ("-p", f"no:{name}"))]
    return int(pytest.main([*args, *quiet], plugins=[board, *extra_plugins]))


def grade(submission, assignment: str, *, device: str = "all", seed: int = 0, isolation: str = "process",
          call_timeout: float | None = None, load_timeout: float | None = None, hide=(), function=None):
    """Run `assignment`'s graders on `submission` (a path) and return the filled Scoreboard."""
    from graders.engine.report import Scoreboard

    board = Scoreboard()
    options = ["--isolation", isolation]
    options += ["--call-timeout", str(call_timeout)] if call_timeout else []
    options += ["--load-timeout", str(load_timeout)] if load_timeout else []
    options += ["--function", function] if function else []
    for path in hide:
        options += ["--hide", str(path)]
    code = run_pytest([str(grader_file(assignment)), "--submission", str(submission),
                       "--device", device, "--seed", str(seed), *options], board)
    if code not in (0, 1):
        raise RuntimeError(f"the graders could not run (pytest exit code {code})")
    if board.flagged:
        flag_for_review(board)
    return board


def flag_for_review(board):
    """Tampering was witnessed: every check scores zero, and one that passed says why."""
    reason = f"flagged for review: the submission tampered with the grading machinery ({board.flagged[0]})"
    for check in board.graded():
        if check.outcome == "passed":
            check.outcome, check.message = "failed", reason


# The seed of the practice cells and of `nngrade check` by default: the inputs students see. Reports of a
# grading with any other seed show no value that would let a student rebuild its inputs or expectations.
PRACTICE_SEED = 0
_SHOWN_VALUES = re.compile(r"^\s*(Expected|Got):.*$|^\s*(Greatest (absolute|relative) difference|Mismatch at).*$",
                           re.M | re.I)
_NUMBERS = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?|\[\s*-?\d+(?:\s*,\s*-?\d+){2,}\s*\]")
SECRET_NOTE = "(values not shown: graded on inputs drawn from a secret seed)"


def redacted(message: str) -> str:
    """A failure message that keeps what failed and why, without the lines that show expected and actual
    values, and with every other fractional number and list of integers (inputs, results, differences)
    replaced by `...`. The pytest plugin applies it to every failure of a grading with a secret seed."""
    text, shown = _SHOWN_VALUES.subn("", message)
    text = _NUMBERS.sub("...", text)
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines + ([f"  {SECRET_NOTE}"] if shown else []))


def absent_device_message(device: str) -> str:
    return (f"--device {device}: this machine has no {device} device, so no check could run on it "
            "(--device all grades on every device present and lists the others as skipped)")


@functools.cache
def _grader_source(assignment: str):
    """The syntax tree of `assignment`'s grader: read, not imported, so that what it declares is known
    without torch."""
    import ast

    return ast.parse(grader_file(assignment).read_text())


@functools.cache
def declared_checks(assignment: str) -> dict[str, tuple[str, float]]:
    """check -> (graded function, points), from the `points(n, "function")` markers in the grader's
    source. The one count of points: `nngrade list`, the gradebook check, the notebook's test cells and
    the item report use it."""
    import ast

    found = {}
    for node in _grader_source(assignment).body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test"):
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "points":
                values = [*decorator.args[:2], *(k.value for k in decorator.keywords if k.arg == "function")]
                found[node.name] = (ast.literal_eval(values[1]), float(ast.literal_eval(values[0])))
    return found


@functools.cache
def libraries(assignment: str) -> tuple[str, ...]:
    """The modules `assignment`'s grading needs beyond torch (the grader's `LIBRARIES`): the zygote and
    a batch's judges import them once, before the first submission."""
    import ast

    for node in _grader_source(assignment).body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "LIBRARIES" for target in node.targets):
            return tuple(ast.literal_eval(node.value))
    return ()


def declared_points(assignment: str) -> dict[str, float]:
    """function -> the points its checks declare."""
    totals: dict[str, float] = {}
    for function, points in declared_checks(assignment).values():
        totals[function] = totals.get(function, 0.0) + points
    return totals


def write_atomically(path: Path, text: str):
    """Write `text` to `path` all at once, with the permissions of a file created the usual way: a
    temporary file is private (0600), and results must stay readable by the instructor's group."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
        handle.write(text)
    os.chmod(handle.name, 0o666 & ~current_umask())
    os.replace(handle.name, path)


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
