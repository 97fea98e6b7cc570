"""Scores from a pytest run of the graders, as a table and as Gradescope's results.json.

`Scoreboard` is a pytest plugin: it reads each check's `points` marker at collection and its
outcome as the run goes. A check's points are shared equally among its parametrized cases that
ran; cases skipped because a device is absent take no share, so the total a submission can earn
does not depend on the machine, and an absent device is never reported as passed.

The points policy is applied here, in `Scoreboard.settle`, and nowhere else. Every check runs and
reports on every submission; then a function earns nothing at all (its gradient, contract-rule,
device and built-in checks included)
- when it is wrong on every case of its value checks (`points(..., kind="value")`), or
- when its work is done by a forbidden built-in: a check raised `ForbiddenBuiltin` (a fact the
  check records, read from the exception, never from the message).
The table says why under the function's name.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import pytest

KINDS = ("value", "gradient", "rule", "forbidden")


class ForbiddenBuiltin(pytest.fail.Exception):
    """A check's verdict that `function`'s work is done by a forbidden built-in: `found` lists the
    calls and where they are ("torch.nn.functional.cross_entropy (line 12)"). Raising it fails the
    check like `pytest.fail(..., pytrace=False)`; the Scoreboard records the fact."""

    def __init__(self, message: str, function: str, found):
        super().__init__(msg=message, pytrace=False)
        self.function, self.found = function, list(found)


@dataclasses.dataclass
class Check:
    name: str
    function: str
    points: float
    group: tuple
    device: str | None = None
    kind: str = "rule"
    outcome: str = "not run"
    message: str = ""
    score: float = 0.0
    max_score: float = 0.0
    forbidden: tuple = ()  # what a ForbiddenBuiltin raised by this check found


class Scoreboard:
    def __init__(self):
        self.checks: dict[str, Check] = {}
        self.load_errors: list[str] = []
        self.faults: set[type] = set()  # the kinds of graders.engine.faults met while grading
        self.withheld: dict[str, str] = {}  # function -> why it earns nothing (the points policy)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        for item in session.items:
            marker = item.get_closest_marker("points")
            points = float(marker.args[0]) if marker and marker.args else 0.0
            function = (marker.kwargs.get("function") if marker else None) or "other"
            kind = (marker.kwargs.get("kind") if marker else None) or "rule"
            name = item.name
            params = getattr(getattr(item, "callspec", None), "params", {})
            self.checks[item.nodeid] = Check(
                name, function, points,
                group=(item.nodeid.split("::")[0], getattr(item, "originalname", item.name)),
                device=params.get("device"), kind=kind)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        yield
        check = self.checks.get(item.nodeid)
        error = call.excinfo.value if call.excinfo is not None else None
        if check is not None and isinstance(error, ForbiddenBuiltin):
            check.forbidden = tuple(dict.fromkeys((*check.forbidden, *error.found)))

    def pytest_runtest_logreport(self, report):
        check = self.checks.get(report.nodeid)
        if check is None:
            return
        if report.skipped and report.when in ("setup", "call"):
            check.outcome = "skipped"
            check.message = _skip_reason(report)
        elif report.failed:
            if check.outcome != "failed":
                check.message = _failure_text(report)
            check.outcome = "failed"
        elif report.when == "call" and check.outcome == "not run":
            check.outcome = "passed"

    def pytest_sessionfinish(self, session):
        self.settle()

    def settle(self):
        ran = defaultdict(list)
        for check in self.checks.values():
            if check.outcome in ("passed", "failed"):
                ran[check.group].append(check)
        for cases in ran.values():
            for check in cases:
                check.max_score = check.points / len(cases)
                check.score = check.max_score if check.outcome == "passed" else 0.0
        self.withheld = {}
        by_function = defaultdict(list)
        for cases in ran.values():
            by_function[cases[0].function].extend(cases)
        for function, checks in by_function.items():
            reason = withheld_because(function, checks)
            if reason:
                self.withheld[function] = reason
                for check in checks:
                    check.score = 0.0

    def graded(self) -> list[Check]:
        return [check for check in self.checks.values() if check.outcome in ("passed", "failed")]

    def skipped(self) -> list[Check]:
        return [check for check in self.checks.values() if check.outcome == "skipped"]

    def by_function(self) -> dict[str, tuple[float, float]]:
        totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for check in self.graded():
            totals[check.function][0] += check.score
            totals[check.function][1] += check.max_score
        return {function: (round(score, 4), round(top, 4)) for function, (score, top) in totals.items()}

    def points_by_function(self) -> dict[str, float]:
        """Each function's points as declared, whatever ran: one share per check, not per case."""
        groups = {check.group: check for check in self.checks.values()}
        totals: dict[str, float] = {}
        for check in groups.values():
            totals[check.function] = totals.get(check.function, 0.0) + check.points
        return totals

    def total(self) -> tuple[float, float]:
        checks = self.graded()
        return (round(sum(c.score for c in checks), 4), round(sum(c.max_score for c in checks), 4))


def withheld_because(function: str, checks: list[Check]) -> str | None:
    """Why `function` earns nothing under the points policy, or None when its checks count."""
    found = [entry for check in checks for entry in check.forbidden]
    if found:
        return (f"no points for {function}: its work is done by a forbidden built-in, "
                f"{'; '.join(dict.fromkeys(found))}. The exercise is to write it yourself.")
    values = [check for check in checks if check.kind == "value"]
    if values and not any(check.outcome == "passed" for check in values):
        names = ", ".join(dict.fromkeys(check.group[1] for check in values))
        return (f"no points for {function}: it is wrong on every case of its value checks ({names}). "
                "Its other checks still run and report below, and count once one value case is right.")
    return None


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _failure_text(report) -> str:
    text = report.longreprtext.strip()
    if report.when != "call" and "pytrace" not in text and text.startswith("Failed: "):
        text = text.removeprefix("Failed: ")
    lines = text.splitlines()
    if len(lines) > 40:
        lines = lines[:18] + [f"... ({len(lines) - 36} lines left out) ..."] + lines[-18:]
    return "\n".join(lines)


def results_json(board: Scoreboard, *, assignment: str, devices: list[str], **extra) -> dict:
    """Gradescope's results.json: top-level score, one entry per check, and extra data."""
    score, top = board.total()
    return {
        "score": score,
        "tests": [
            {"name": check.name, "score": check.score, "max_score": check.max_score,
             "status": check.outcome, "output": check.message}
            for check in board.graded()
        ],
        "extra_data": {
            "assignment": assignment,
            "max_score": top,
            "devices": devices,
            "functions": {name: {"score": s, "max_score": m, **({"withheld": board.withheld[name]}
                                                               if name in board.withheld else {})}
                          for name, (s, m) in board.by_function().items()},
            "skipped": [{"name": check.name, "reason": check.message} for check in board.skipped()],
            **extra,
        },
    }


def function_report(board: Scoreboard, function: str, score: float, points: float) -> str:
    """What a notebook's test cell shows for one function: the same text in the student's practice
    run and in the autograded notebook that nbgrader's feedback is made from."""
    return table(board, title=f"{function}: {score:g} / {points:g} points", function=function)


def function_verdicts(board: Scoreboard, load_errors=()) -> dict[str, tuple[float, str]]:
    """function -> (score, the report its test cell shows), for every function that was graded."""
    problems = ""
    if load_errors:
        problems = "\n\nCells that raised while the submission was loaded:\n" + "\n".join(
            f"  {error}" for error in list(load_errors)[:10])
    return {function: (score, function_report(board, function, score, points) + problems)
            for function, (score, points) in board.by_function().items()}


def table(board: Scoreboard, *, title: str, function: str | None = None) -> str:
    """The readable report: one line per check (its cases taken together), the first failure of
    each failed check explained, devices skipped, and totals per function (of `function` alone
    when given)."""
    groups: dict[tuple, list[Check]] = {}
    for check in board.checks.values():
        groups.setdefault(check.group, []).append(check)
    lines = [title]
    current = None
    for cases in groups.values():
        ran = [case for case in cases if case.outcome in ("passed", "failed")]
        if not ran or function not in (None, cases[0].function):
            continue
        if cases[0].function != current:
            current = cases[0].function
            lines += ["", current]
            if current in board.withheld:
                lines.append(f"  {board.withheld[current][0].upper()}{board.withheld[current][1:]}")
        failed = [case for case in ran if case.outcome == "failed"]
        score, top = sum(case.score for case in ran), sum(case.max_score for case in ran)
        mark = "FAIL" if failed else "PASS"
        tally = f"{len(ran) - len(failed)}/{len(ran)} cases" if len(ran) > 1 else ""
        lines.append(f"  {mark}  {cases[0].group[1]:<72} {tally:>11} {score:6.2f} / {top:5.2f}")
        if failed:
            names = ", ".join(case.name.partition("[")[2].rstrip("]") or case.name for case in failed[:4])
            if len(ran) > 1:
                lines.append(f"        failed: {names}{' ...' if len(failed) > 4 else ''}")
            lines += [f"        {line}" for line in failed[0].message.splitlines()]
    skipped = sorted({check.message for check in board.skipped() if function in (None, check.function)})
    if skipped:
        lines += ["", "Skipped (not counted): " + "; ".join(skipped)]
    if function is not None:
        return "\n".join(lines)
    lines.append("")
    for name, (score, top) in board.by_function().items():
        lines.append(f"  {name:<40} {score:6.2f} / {top:6.2f}")
    score, top = board.total()
    lines.append(f"  {'total':<40} {score:6.2f} / {top:6.2f}")
    return "\n".join(lines)
