"""The one way to run the graders from Python: `nngrade check`, `nngrade grade`, nbgrader's autograde,
the notebook's practice cells and the project's tests all come through here."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

GRADERS_DIR = Path(__file__).resolve().parents[1]


def assignments() -> list[str]:
    return sorted(path.stem.removeprefix("test_") for path in GRADERS_DIR.glob("test_*.py"))


def grader_file(assignment: str) -> Path:
    return GRADERS_DIR / f"test_{assignment}.py"


def run_pytest(args: list[str], board, extra_plugins=()) -> int:
    """Run the graders with nngrade's scoreboard, keeping pytest's own report off the screen."""
    import pytest

    # unraisableexception runs gc.collect() five times at the end of every session: seconds in a
    # process holding torch. Neither it nor the terminal report has anything to add here.
    quiet = ["-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:unraisableexception",
             "-p", "no:threadexception", "-o", "addopts=", "--rootdir", str(GRADERS_DIR)]
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
    if seed != PRACTICE_SEED:
        redact_values(board)
    return board


def flag_for_review(board):
    """Tampering was witnessed: every check scores zero, and one that passed says why."""
    reason = f"flagged for review: the submission tampered with the grading machinery ({board.flagged[0]})"
    for check in board.graded():
        check.score = 0.0
        if check.outcome == "passed":
            check.outcome, check.message = "failed", reason


# The seed of the practice cells and of `nngrade check` by default: the inputs students see. Reports of a
# grading with any other seed show no value that would let a student rebuild its inputs or expectations.
PRACTICE_SEED = 0
_SHOWN_VALUES = re.compile(r"^\s*(Expected|Got):.*$|^\s*(Greatest (absolute|relative) difference|Mismatch at).*$",
                           re.M | re.I)
_NUMBERS = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?|\[\s*-?\d+(?:\s*,\s*-?\d+){2,}\s*\]")
SECRET_NOTE = "(values not shown: graded on inputs drawn from a secret seed)"


def redact_values(board):
    """Keep what failed and why; drop the lines that show expected and actual values, and replace every
    other fractional number and list of integers (inputs, results, differences) with `...`."""
    for check in board.checks.values():
        if check.outcome != "failed" or not check.message:
            continue
        text, shown = _SHOWN_VALUES.subn("", check.message)
        text = _NUMBERS.sub("...", text)
        lines = [line for line in text.splitlines() if line.strip()]
        check.message = "\n".join(lines + ([f"  {SECRET_NOTE}"] if shown else []))


def declared_points(module) -> dict[str, float]:
    """function -> the points its checks declare (`@points(n, function)` on each check of a grader
    module): the one count of points, used by `nngrade list`, the gradebook check and the notebook."""
    totals: dict[str, float] = {}
    for name, item in vars(module).items():
        if not name.startswith("test") or not callable(item):
            continue
        for mark in getattr(item, "pytestmark", []):
            if mark.name == "points" and mark.args:
                function = mark.kwargs.get("function") or "other"
                totals[function] = totals.get(function, 0.0) + float(mark.args[0])
    return totals


def grader_module(assignment: str):
    import importlib

    return importlib.import_module(f"graders.test_{assignment}")


def write_atomically(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
        handle.write(text)
    os.replace(handle.name, path)
