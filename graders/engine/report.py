"""Scores from a pytest run of the graders: the terminal table, the notebook cells' reports (plain text
and HTML) and Gradescope's results.json.

`Scoreboard` is a pytest plugin: it reads each check's `points` marker at collection and its
outcome as the run goes. A check's points are shared equally among its parametrized cases that
ran; cases skipped because a device is absent take no share, so the total a submission can earn
does not depend on the machine, and an absent device is never reported as passed.

Every report shows checks, not cases: one row per check, its cases taken together. Scores are rounded
once, to hundredths: a function's score is its exact score rounded, and its checks' scores are rounded so
that they add up to it (`apportion`); every other total is a sum of those. The table, the notebook
cells, the gradebook, the CSV and the JSON therefore all show the same numbers, and they add up.

The points policy is applied here, in `Scoreboard.results` (through `withheld`), and nowhere else. Every check runs and
reports on every submission; then a function earns nothing at all (its gradient, contract-rule,
device and built-in checks included)
- when it is wrong on every case of its value checks (`points(..., kind="value")`), or
- when its work is done by a forbidden built-in: a check raised `ForbiddenBuiltin` (a fact the
  check records, read from the exception, never from the message).
The table says why under the function's name.
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
import textwrap
from collections import defaultdict

import pytest

DECIMALS = 2
# Plain-text reports are wrapped to this width: nbgrader's feedback page and a narrow notebook
# show a line this long whole, without a scroll bar hiding the end of a failure's reason.
WIDTH = 96
# Gradescope's visibility of a check the instructor marked hidden: its row is shown to students
# once the instructor publishes the grades.
HIDDEN_UNTIL_PUBLISHED = "after_published"


def rounded(value: float) -> float:
    """A score as every report shows and records it (adding 0.0 turns -0.0 into 0.0)."""
    return round(float(value), DECIMALS) + 0.0


def shown(value: float) -> str:
    """A score as text: 7.67, 9, 0.5."""
    return f"{rounded(value):g}"


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
    """One parametrized case of a check, as pytest ran it."""

    name: str
    function: str
    points: float
    group: tuple
    device: str | None = None
    hidden: bool = False
    kind: str = "rule"
    outcome: str = "not run"
    message: str = ""
    forbidden: tuple = ()  # what a ForbiddenBuiltin raised by this check found


@dataclasses.dataclass
class CheckResult:
    """One check, its cases that ran taken together: the unit every report shows and scores."""

    name: str
    function: str
    points: float
    hidden: bool
    cases: list[Check]
    score: float = 0.0  # set by `apportion`

    @property
    def failed(self) -> list[Check]:
        return [case for case in self.cases if case.outcome == "failed"]

    @property
    def status(self) -> str:
        return "failed" if self.failed else "passed"

    @property
    def exact_score(self) -> float:
        return self.points * (len(self.cases) - len(self.failed)) / len(self.cases)

    @property
    def max_score(self) -> float:
        return rounded(self.points)

    @property
    def tally(self) -> str:
        """"4/6 cases" for a parametrized check, "" for a check of one case."""
        return f"{len(self.cases) - len(self.failed)}/{len(self.cases)} cases" if len(self.cases) > 1 else ""

    def explanation(self) -> str:
        """Why the check failed: which cases, then the reason; "" when it passed."""
        return "\n".join(part for part in (self.cases_failed(), self.reason()) if part)

    def cases_failed(self) -> str:
        """Which cases failed, for a parametrized check that failed; "" otherwise."""
        failed = self.failed
        if not failed or len(self.cases) == 1:
            return ""
        labels = [case.name.partition("[")[2].rstrip("]") or case.name for case in failed]
        listed = ", ".join(labels[:6]) + (f" and {len(labels) - 6} more" if len(labels) > 6 else "")
        return f"Failed {len(failed)} of {len(self.cases)} cases: {listed}"

    def reason(self) -> str:
        """The first failure in full, and the hints that other failed cases gave (each names another
        mistake); "" when the check passed."""
        failed = self.failed
        if not failed:
            return ""
        lines = failed[0].message.splitlines()
        # The same mistake quotes other numbers in another case ("24 times the mean"): one hint each.
        seen = {NUMBER.sub("#", hint) for hint in HINT.findall(failed[0].message)}
        others = []
        for case in failed[1:]:
            for hint in HINT.findall(case.message):
                if NUMBER.sub("#", hint) not in seen:
                    seen.add(NUMBER.sub("#", hint))
                    others.append(f"    {hint}")
        return "\n".join(lines + (["  In the other failed cases:", *others] if others else []))


HINT = re.compile(r"^\s*(Hint:.*?)\s*$", re.MULTILINE)
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


# The checks that would run on a device this machine lacks, as (node id, name, points marker, device,
# reason): the plugin does not generate their cases, and the board lists them as skipped.
ABSENT_DEVICE_CHECKS = pytest.StashKey[list]()


def _check(name: str, nodeid: str, originalname: str, marker, device: str | None) -> Check:
    points = float(marker.args[0]) if marker and marker.args else 0.0
    function = (marker.kwargs.get("function") if marker else None) or "other"
    kind = (marker.kwargs.get("kind") if marker else None) or "rule"
    return Check(name, function, points, group=(nodeid.split("::")[0], originalname), device=device,
                 hidden=bool(marker and marker.kwargs.get("hidden")), kind=kind)


class Scoreboard:
    def __init__(self):
        self.checks: dict[str, Check] = {}
        self.load_errors: list[str] = []
        self.faults: set[type] = set()  # the kinds of graders.engine.faults met while grading
        self.flagged: list[str] = []  # evidence of tampering (graders.engine.tamper): zero, and a review

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        for item in session.items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            self.checks[item.nodeid] = _check(item.name, item.nodeid, getattr(item, "originalname", item.name),
                                              item.get_closest_marker("points"), params.get("device"))
        kept = {item.nodeid.partition("[")[0] for item in session.items}  # not those --function deselected
        for nodeid, name, marker, device, reason in session.config.stash.get(ABSENT_DEVICE_CHECKS, []):
            if nodeid not in kept:
                continue
            check = _check(f"{name}[{device}]", f"{nodeid}[{device}]", name, marker, device)
            check.outcome, check.message = "skipped", reason
            self.checks[f"{nodeid}[{device}]"] = check

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

    @property
    def withheld(self) -> dict[str, str]:
        """function -> why it earns nothing under the points policy (the one gate)."""
        checks: dict[str, list[Check]] = defaultdict(list)
        for check in self.graded():
            checks[check.function].append(check)
        return {function: reason for function, cases in checks.items()
                if (reason := withheld_because(function, cases))}

    def graded(self) -> list[Check]:
        return [check for check in self.checks.values() if check.outcome in ("passed", "failed")]

    def skipped(self) -> list[Check]:
        return [check for check in self.checks.values() if check.outcome == "skipped"]

    def results(self, function: str | None = None) -> list[CheckResult]:
        """Every check with a case that ran (of `function` alone when given), in the graders' order."""
        groups: dict[tuple, list[Check]] = {}
        for check in self.checks.values():
            groups.setdefault(check.group, []).append(check)
        results = []
        for cases in groups.values():
            ran = [case for case in cases if case.outcome in ("passed", "failed")]
            if ran and function in (None, cases[0].function):
                results.append(CheckResult(cases[0].group[1], cases[0].function, cases[0].points,
                                           any(case.hidden for case in cases), ran))
        apportion(results)
        withheld = self.withheld
        for result in results:
            if result.function in withheld:
                result.score = 0.0
        return results

    def by_function(self) -> dict[str, tuple[float, float]]:
        """function -> (score, max score), in the graders' order, which is the notebook's."""
        totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for result in self.results():
            totals[result.function][0] += result.score
            totals[result.function][1] += result.max_score
        return {function: (rounded(score), rounded(top)) for function, (score, top) in totals.items()}

    def points_by_function(self) -> dict[str, float]:
        """Each function's points as declared, whatever ran: one share per check, not per case."""
        groups = {check.group: check for check in self.checks.values()}
        totals: dict[str, float] = {}
        for check in groups.values():
            totals[check.function] = totals.get(check.function, 0.0) + check.points
        return totals

    def total(self) -> tuple[float, float]:
        functions = self.by_function().values()
        return rounded(sum(score for score, _ in functions)), rounded(sum(top for _, top in functions))

    def devices(self) -> list[str]:
        return sorted({check.device for check in self.graded() if check.device})

    def skipped_devices(self) -> list[str]:
        """Devices whose cases were skipped because this machine lacks them."""
        graded = set(self.devices())
        return sorted({check.device for check in self.skipped() if check.device and check.device not in graded})


def apportion(results: list[CheckResult]):
    """Round every check's score to hundredths so that each function's checks add up to the function's
    exact score rounded once (largest remainders first: three checks at 2/3 of a point are 0.67, 0.67
    and 0.66, and their function gets 2, not 2.01). A check never gets more than its exact score rounded
    up, so never more than its points."""
    functions: dict[str, list[CheckResult]] = defaultdict(list)
    for result in results:
        functions[result.function].append(result)
    for checks in functions.values():
        hundredths = [result.exact_score * 100 for result in checks]
        floors = [math.floor(value + 1e-9) for value in hundredths]
        short = math.floor(sum(hundredths) + 0.5 + 1e-9) - sum(floors)
        for index in sorted(range(len(checks)), key=lambda i: floors[i] - hundredths[i])[:short]:
            floors[index] += 1
        for result, value in zip(checks, floors, strict=True):
            result.score = value / 100


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


# --------------------------------------------------------------------------- Gradescope's results.json

def results_json(board: Scoreboard, *, assignment: str, devices: list[str], seconds: float | None = None,
                 **extra) -> dict:
    """Gradescope's results.json: the score, one row per check (numbered function.check, so that
    Gradescope lists a function's checks together), a summary with the per-function totals on top,
    and in `extra_data` what nngrade's own tools read (per-function scores, cases skipped)."""
    score, top = board.total()
    functions = board.by_function()
    withheld = board.withheld
    number = {function: index for index, function in enumerate(functions, start=1)}
    seen: dict[str, int] = defaultdict(int)
    tests = []
    for result in board.results():
        seen[result.function] += 1
        tests.append({"name": result.name, "number": f"{number[result.function]}.{seen[result.function]}",
                      "score": result.score, "max_score": result.max_score, "status": result.status,
                      "output": result.explanation(), "output_format": "text", "tags": [result.function],
                      "visibility": HIDDEN_UNTIL_PUBLISHED if result.hidden else "visible"})
    results = {
        "score": score,
        "output": summary(board, assignment),
        "output_format": "md",
        "test_output_format": "text",
        # run_autograder's stdout is the instructor's log (paths, timings): students read `output`.
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "assignment": assignment,
            "max_score": top,
            "devices": devices,
            "functions": {name: {"score": s, "max_score": m, **({"withheld": withheld[name]}
                                                               if name in withheld else {})}
                          for name, (s, m) in functions.items()},
            "skipped": [{"name": check.name, "reason": check.message} for check in board.skipped()],
            **({"flagged": board.flagged} if board.flagged else {}),
            **extra,
        },
    }
    if seconds is not None:
        results["execution_time"] = round(seconds)
    return results


def summary(board: Scoreboard, assignment: str) -> str:
    """One Markdown paragraph: the total, each function's total, what failed. Checks marked hidden
    are left out of it (their rows stay hidden until the grades are published), and so is their share
    of the totals."""
    visible = [result for result in board.results() if not result.hidden]
    hidden = len(board.results()) - len(visible)
    totals: dict[str, list[float]] = {}
    for result in visible:
        totals.setdefault(result.function, [0.0, 0.0])
        totals[result.function][0] += result.score
        totals[result.function][1] += result.max_score
    score, top = sum(s for s, _ in totals.values()), sum(m for _, m in totals.values())
    failed = [result for result in visible if result.failed]
    words = [f"**{assignment}: {shown(score)} / {shown(top)} points"
             + (" on the checks shown here" if hidden else "") + ".**"]
    words.append("By function: " + "; ".join(f"`{name}` {shown(s)} / {shown(m)}" for name, (s, m) in totals.items())
                 + ".")
    if failed:
        words.append(f"{len(failed)} of {len(visible)} checks failed: each failed check below says what was "
                     "expected, what came back, and why.")
    else:
        words.append(f"All {len(visible)} checks passed.")
    if hidden:
        words.append(f"{hidden} more check{'s are' if hidden > 1 else ' is'} hidden until the grades are published.")
    if board.load_errors:
        words.append(f"{len(board.load_errors)} cell(s) of the submission raised while it was loaded: "
                     + "; ".join(f"`{error}`" for error in board.load_errors[:3]) + ".")
    return " ".join(words)


# --------------------------------------------------------------------------- the notebook cells' reports

@dataclasses.dataclass(frozen=True)
class Verdict:
    """What a notebook's test cell gets for one function: its score, the report as plain text (what
    a plain front end and a terminal show) and the same report as HTML (what Jupyter and nbgrader's
    feedback page show)."""

    score: float
    text: str
    html: str


def function_verdicts(board: Scoreboard, load_errors=()) -> dict[str, Verdict]:
    """function -> its verdict, for every function that was graded."""
    return {function: function_verdict(board, function, score, top, load_errors)
            for function, (score, top) in board.by_function().items()}


def function_verdict(board: Scoreboard, function: str, score: float, points: float, load_errors=()) -> Verdict:
    """One function's verdict: the same in the student's practice cell and in the autograded notebook
    that nbgrader's feedback is made from. Devices that were skipped are not mentioned: they are the
    grading machine's, not the student's (the practice view says once which ones its computer lacks)."""
    return Verdict(score, function_text(board, function, score, points, load_errors),
                   function_html(board, function, score, points, load_errors))


# --------------------------------------------------------------------------- plain text

def function_text(board: Scoreboard, function: str, score: float, points: float, load_errors=()) -> str:
    lines = [f"{function}: {shown(score)} / {shown(points)} points"]
    results = board.results(function)
    common = common_reason(results)
    lines += wrapped(common, indent="  ") if common else _check_lines(results)
    lines += _load_error_lines(load_errors)
    return "\n".join(lines)


NOT_IMPLEMENTED = "Not implemented yet: every check stopped at the stub's NotImplementedError."


def common_reason(results: list[CheckResult]) -> str:
    """What to say once instead of a row per check, when every case of every check of a function failed
    for one reason: the stub still raises, or the function is missing; "" otherwise."""
    if not results or any(case.outcome != "failed" for result in results for case in result.cases):
        return ""
    if all("raised NotImplementedError" in case.message for result in results for case in result.cases):
        return NOT_IMPLEMENTED
    reasons = {result.reason() for result in results}
    return f"Every check failed: {reasons.pop()}" if len(reasons) == 1 else ""


def assignment_text(board: Scoreboard, assignment: str) -> str:
    """The whole assignment's verdict: the totals, then every function's report."""
    functions = board.by_function()
    lines = totals_text(functions, title=assignment).splitlines()
    for function, (earned, available) in functions.items():
        lines += ["", *function_text(board, function, earned, available).splitlines()]
    lines += _load_error_lines(board.load_errors)
    return "\n".join(lines)


def totals_text(functions: dict[str, tuple[float, float]], title: str = "Total") -> str:
    """The total and each function's score, one line each."""
    score, top = _sums(functions)
    width = max([len(name) for name in functions] + [1])
    return "\n".join([f"{title}: {shown(score)} / {shown(top)} points"]
                     + [f"  {name:<{width}}  {shown(s):>6} / {shown(m)}" for name, (s, m) in functions.items()])


def table(board: Scoreboard, *, title: str) -> str:
    """The terminal's report: every function's checks, the devices skipped, and the totals."""
    functions = board.by_function()
    lines = [title]
    withheld = board.withheld
    for function in functions:
        lines += ["", function]
        if function in withheld:
            lines.append(f"  {withheld[function][0].upper()}{withheld[function][1:]}")
        lines += _check_lines(board.results(function), full_names=True)
    lines += _load_error_lines(board.load_errors)
    skipped = sorted({check.message for check in board.skipped()})
    if skipped:
        lines += ["", "Skipped (not counted): " + "; ".join(skipped)]
    width = max([len(name) for name in functions] + [len("total")])
    lines.append("")
    for name, (score, top) in [*functions.items(), ("total", board.total())]:
        lines.append(f"  {name:<{width}}  {shown(score):>6} / {shown(top)}")
    return "\n".join(lines)


def _check_lines(results: list[CheckResult], *, full_names: bool = False) -> list[str]:
    """One line per check, its columns of fixed width and its name last (a long name cannot push the
    columns out of line), each failure explained under it, wrapped to WIDTH. A check is named as a
    phrase under its function's heading, or by its pytest name (`full_names`) in the terminal, where
    `pytest -k` takes it."""
    lines = []
    explained = set()
    for result in results:
        mark = "FAIL" if result.failed else "PASS"
        columns = f"  {mark}  {shown(result.score):>6} / {shown(result.max_score):<5}{result.tally:>11}  "
        if full_names:
            lines.append(columns + result.name)
        else:
            lines += textwrap.wrap(label(result), WIDTH, initial_indent=columns, subsequent_indent=" " * len(columns))
        if result.cases_failed():
            lines += wrapped(result.cases_failed(), indent="        ")
        reason = result.reason()
        if reason in explained:
            lines.append("        (the same reason as above)")
        elif reason:
            explained.add(reason)
            lines += wrapped(reason, indent="        ")
    return lines


def _load_error_lines(load_errors) -> list[str]:
    if not load_errors:
        return []
    return ["", "Cells that raised while the submission was loaded:"] + [
        line for error in list(load_errors)[:10] for line in wrapped(error, indent="  ")]


def wrapped(text: str, indent: str) -> list[str]:
    """`text` indented by `indent`, every line wrapped to WIDTH; continuation lines go two spaces
    deeper than the line they continue."""
    lines = []
    for line in text.splitlines():
        depth = indent + line[: len(line) - len(line.lstrip())]
        lines += textwrap.wrap(line.strip(), WIDTH, initial_indent=depth, subsequent_indent=depth + "  ",
                               break_long_words=True, break_on_hyphens=False) or [""]
    return lines


def label(result: CheckResult) -> str:
    """A check's name as a phrase: test_mse_loss_gradient_matches_pytorch -> gradient matches pytorch."""
    words = result.name.removeprefix("test_").removeprefix(result.function).strip("_")
    return words.replace("_", " ") or result.name


def _sums(functions: dict[str, tuple[float, float]]) -> tuple[float, float]:
    return rounded(sum(s for s, _ in functions.values())), rounded(sum(m for _, m in functions.values()))


# --------------------------------------------------------------------------- HTML, for Jupyter

# Blocks and flex rows with inline styles only: JupyterLab restyles tables in outputs (cells aligned
# right, striped rows) and its sanitiser (for a notebook opened untrusted) keeps inline styles but
# drops <style> elements. Every text is escaped: a failure message quotes the student's exception.
GREEN, RED, GREY, AMBER = "#15803d", "#b91c1c", "#6b7280", "#92400e"
_BOX = ("font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; font-size: 13px; "
        "line-height: 1.45; text-align: left; max-width: 100%; overflow-wrap: anywhere; color: #111827")
_ROW = "display: flex; align-items: baseline; gap: 10px; padding: 1px 0"
_MESSAGE = ("white-space: pre-wrap; overflow-wrap: anywhere; text-align: left; font-family: 'SFMono-Regular', "
            "Menlo, Consolas, 'Liberation Mono', monospace; font-size: 12px; background: #fef2f2; "
            "border-left: 3px solid #dc2626; padding: 6px 10px; margin: 2px 0 8px 22px")


def function_html(board: Scoreboard, function: str, score: float, points: float, load_errors=()) -> str:
    return (f'<div style="{_BOX}">' + _function_section(function, score, points, board.results(function))
            + _load_errors_html(load_errors) + "</div>")


def assignment_html(board: Scoreboard, assignment: str) -> str:
    """The whole assignment's verdict: the total, a bar per function, then every function's checks."""
    functions = board.by_function()
    parts = [f'<div style="{_BOX}">', _totals_block(functions, assignment)]
    for function, (earned, available) in functions.items():
        parts.append(_function_section(function, earned, available, board.results(function)))
    return "".join(parts) + _load_errors_html(board.load_errors) + "</div>"


def totals_html(functions: dict[str, tuple[float, float]], title: str = "Total") -> str:
    return f'<div style="{_BOX}">{_totals_block(functions, title)}</div>'


def _totals_block(functions: dict[str, tuple[float, float]], title: str) -> str:
    score, top = _sums(functions)
    width = max([len(name) for name in functions] + [1])
    rows = "".join(
        f'<div style="{_ROW}"><span style="font-family: monospace; min-width: {0.62 * width:.1f}em">{_e(name)}</span>'
        f'<span style="min-width: 6em; text-align: right; white-space: nowrap">{shown(s)} / {shown(m)}</span>'
        f'<span style="width: 160px; align-self: center">{_bar(s, m)}</span></div>'
        for name, (s, m) in functions.items())
    return (_heading(f"{title}: {shown(score)} / {shown(top)} points", score, top, size="15px")
            + f'<div style="margin: 2px 0 12px 0">{rows}</div>')


def _heading(title: str, score: float, top: float, size: str = "14px") -> str:
    return (f'<div style="display: flex; align-items: center; gap: 12px; margin: 8px 0 4px 0">'
            f'<span style="font-weight: 600; font-size: {size}">{_e(title)}</span>'
            f'<span style="width: 200px">{_bar(score, top)}</span></div>')


def _bar(score: float, top: float) -> str:
    share = 0.0 if top <= 0 else max(0.0, min(1.0, score / top))
    colour = GREEN if share >= 1 else (AMBER if share > 0 else RED)
    return (f'<div style="background: #e5e7eb; border-radius: 4px; height: 8px; width: 100%">'
            f'<div style="background: {colour}; border-radius: 4px; height: 8px; width: {share * 100:.1f}%">'
            "</div></div>")


def _function_section(function: str, score: float, points: float, results: list[CheckResult]) -> str:
    """A function's heading and score bar, then one row per check (green tick or red cross, the check,
    its cases, its points), each failure's explanation open under its row."""
    parts = [_heading(f"{function}: {shown(score)} / {shown(points)} points", score, points)]
    common = common_reason(results)
    if common:
        return "".join(parts) + f'<div style="{_MESSAGE}">{_message_html(common)}</div>'
    explained = set()
    for result in results:
        colour, mark = (RED, "&#10007;") if result.failed else (GREEN, "&#10003;")
        parts.append(
            f'<div style="{_ROW}"><span style="color: {colour}; font-weight: 700; width: 12px">{mark}</span>'
            f'<span style="flex: 1" title="{_e(result.name)}">{_e(label(result))}</span>'
            f'<span style="color: {GREY}; white-space: nowrap">{_e(result.tally)}</span>'
            f'<span style="color: {colour}; white-space: nowrap; min-width: 4.5em; text-align: right">'
            f"{shown(result.score)} / {shown(result.max_score)}</span></div>")
        reason = result.reason()
        if reason:
            body = _e(result.cases_failed() + "\n") if result.cases_failed() else ""
            body += (f'<span style="color: {GREY}">(the same reason as above)</span>' if reason in explained
                     else _message_html(reason))
            explained.add(reason)
            parts.append(f'<div style="{_MESSAGE}">{body}</div>')
    return "".join(parts)


def _message_html(reason: str) -> str:
    """A failure's reason, with its Expected/Got labels in bold and its hints set apart."""
    lines = []
    for line in reason.splitlines():
        text = line.strip()
        if text.startswith("Hint:"):
            lines.append(f'<span style="display: block; background: #fffbeb; color: {AMBER}; '
                         f'margin: 2px 0; padding: 1px 4px">{_e(text)}</span>')
        elif text.startswith(("Expected:", "Got:")):
            name, _, rest = text.partition(":")
            lines.append(f"  <b>{_e(name)}:</b>{_e(rest)}\n")
        else:
            lines.append(_e(line) + "\n")
    return "".join(lines).rstrip("\n")


def _load_errors_html(load_errors) -> str:
    if not load_errors:
        return ""
    items = "".join(f"<li><code>{_e(error)}</code></li>" for error in list(load_errors)[:10])
    return (f'<div style="margin-top: 6px">Cells that raised while the submission was loaded:'
            f'<ul style="margin: 2px 0">{items}</ul></div>')


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)
