"""Scores from a pytest run of the graders, as a table and as Gradescope's results.json.

`Scoreboard` is a pytest plugin: it reads each check's `points` marker at collection and its
outcome as the run goes. A check's points are shared equally among its parametrized cases that
ran; cases skipped because a device is absent take no share, so the total a submission can earn
does not depend on the machine, and an absent device is never reported as passed.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict

import pytest


@dataclasses.dataclass
class Check:
    name: str
    function: str
    points: float
    group: tuple
    device: str | None = None
    outcome: str = "not run"
    message: str = ""
    score: float = 0.0
    max_score: float = 0.0


class Scoreboard:
    def __init__(self):
        self.checks: dict[str, Check] = {}
        self.load_errors: list[str] = []
        self.faults: set[type] = set()  # the kinds of graders.engine.faults met while grading
        self.flagged: list[str] = []  # evidence of tampering (graders.engine.tamper): zero, and a review

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        for item in session.items:
            marker = item.get_closest_marker("points")
            points = float(marker.args[0]) if marker and marker.args else 0.0
            function = (marker.kwargs.get("function") if marker else None) or "other"
            name = item.name
            params = getattr(getattr(item, "callspec", None), "params", {})
            self.checks[item.nodeid] = Check(
                name, function, points,
                group=(item.nodeid.split("::")[0], getattr(item, "originalname", item.name)),
                device=params.get("device"))

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


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return printable(str(longrepr[2]).removeprefix("Skipped: "))
    return printable(str(longrepr))


def _failure_text(report) -> str:
    text = report.longreprtext.strip()
    if report.when != "call" and "pytrace" not in text and text.startswith("Failed: "):
        text = text.removeprefix("Failed: ")
    lines = [line if len(line) <= 300 else line[:297] + "..." for line in printable(text).splitlines()]
    if len(lines) > 40:
        lines = lines[:18] + [f"... ({len(lines) - 36} lines left out) ..."] + lines[-18:]
    return "\n".join(lines)


# Control characters (but the newline) and the Unicode controls that reorder text: a message from a
# submission may carry terminal sequences that redraw the table, or text that reads backwards.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with tabs as spaces and every other control character removed."""
    return _CONTROLS.sub("", text.replace("\t", " "))


def escaped(name: str) -> str:
    """A name (a student's folder) fit for a terminal or a CSV cell: every control character, the
    newline and tab included, written as a visible escape such as \\x1b."""
    return re.sub("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]",
                  lambda match: f"\\x{ord(match.group()):02x}" if ord(match.group()) < 256
                  else f"\\u{ord(match.group()):04x}", name)


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
            "functions": {name: {"score": s, "max_score": m} for name, (s, m) in board.by_function().items()},
            "skipped": [{"name": check.name, "reason": check.message} for check in board.skipped()],
            **({"flagged": board.flagged} if board.flagged else {}),
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
