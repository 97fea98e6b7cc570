"""`nngrade report`: what the class got wrong, for the instructor.

Reads the results.json files that `nngrade grade` wrote (one folder per assignment, or several) and
writes one self-contained HTML page (inline SVG, no scripts, nothing fetched) and CSV files of the
same tables beside it: the score distributions, every check with its failure rate and the named
mistakes (the hints of failure messages) students made, the item statistics (difficulty and
discrimination) with flags for suspicious checks, and the students who could not be graded.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import html
import io
import json
import os
import re
import statistics
from collections import defaultdict
from pathlib import Path

from graders.engine import runner
from graders.engine.runner import write_atomically



# A check passed by at most this share of the graded students is flagged: either the class missed
# something worth re-teaching, or the check asks for something the notebook never said.
FEW_PASS = 0.10
BINS = 10
TOP_MISTAKES = 12
EXAMPLE_LINES = 24

HINT = re.compile(r"^\s*hint:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
# Hints quote numbers of the case at hand ("24 times the mean"); the same mistake on another case
# must still count as the same mistake.
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")
NOT_IMPLEMENTED = "not implemented (the stub raises NotImplementedError)"
UNNAMED = "no named mistake"
# Paths in messages may hold the submission's folder, which nbgrader names after the student.
STUDENT_FOLDER = re.compile(r"(submitted|autograded|feedback)([/\\])[^/\\\s]+")


class ReportError(Exception):
    """Why the report cannot be written, in one line for the user."""


@dataclasses.dataclass
class Outcome:
    """One student's result on one check, its parametrized cases taken together."""

    passed: bool
    function: str | None
    mistakes: dict[str, tuple[str, str]]  # key (hint without numbers) -> (hint as written, its message)


@dataclasses.dataclass
class Student:
    name: str
    assignment: str
    status: str
    score: float
    max_score: float
    functions: dict[str, tuple[float, float]]
    outcomes: dict[str, Outcome]
    reason: str = ""


@dataclasses.dataclass
class Mistake:
    label: str
    function: str
    checks: list[str]
    students: int
    example: str
    named: bool = True


@dataclasses.dataclass
class CheckStats:
    check: str
    function: str
    students: int
    passed: int
    difficulty: float | None
    discrimination: float | None
    mistakes: list[Mistake]
    flags: list[str]

    @property
    def failure_rate(self) -> float:
        return 1 - self.difficulty if self.difficulty is not None else 0.0


@dataclasses.dataclass
class Distribution:
    name: str
    top: float
    counts: list[int]
    mean: float
    median: float


@dataclasses.dataclass
class AssignmentReport:
    assignment: str
    graded: list[Student]
    apart: dict[str, list[Student]]
    totals: Distribution | None
    functions: list[Distribution]
    checks: list[CheckStats]
    mistakes: list[Mistake]


# --- statistics -------------------------------------------------------------------------------------

def difficulty(passes: list[bool]) -> float | None:
    """The item difficulty index: the share of students passing (high means easy)."""
    return sum(passes) / len(passes) if passes else None


def point_biserial(passes: list[bool], totals: list[float]) -> float | None:
    """The correlation between passing (0/1) and the total score; None when either is constant."""
    try:
        return statistics.correlation([1.0 if passed else 0.0 for passed in passes], totals)
    except statistics.StatisticsError:
        return None


def histogram(values: list[float], top: float, bins: int = BINS) -> list[int]:
    """Counts in `bins` equal bins over [0, top], the last one closed so full marks count."""
    counts = [0] * bins
    for value in values:
        share = value / top if top > 0 else 0.0
        counts[min(bins - 1, max(0, int(share * bins + 1e-9)))] += 1
    return counts


def flags(stats: CheckStats) -> list[str]:
    found = []
    if stats.difficulty is not None and stats.difficulty <= FEW_PASS:
        found.append("failed by almost everyone")
    if stats.discrimination is not None and stats.discrimination < 0:
        found.append("negative discrimination")
    return found


# --- reading results.json ---------------------------------------------------------------------------

@functools.cache
def declared_functions(assignment: str) -> dict[str, str]:
    """Check name -> graded function, as the graders declare it (without importing torch)."""
    if assignment not in runner.assignments():
        return {}
    return {check: function for check, (function, _) in runner.declared_checks(assignment).items()}


def function_of(check: str, row_function: str | None, assignment: str, functions: list[str]) -> str:
    """The function a check grades: as the results say, as the graders declare, or by its name."""
    if row_function:
        return row_function
    declared = declared_functions(assignment).get(check)
    if declared:
        return declared
    matching = [name for name in functions if check.lower().startswith(f"test_{name.lower()}_")]
    return max(matching, key=len) if matching else "other"


def mistakes_in(output: str) -> dict[str, str]:
    """The named mistakes in one failure message: key (numbers left out) -> hint as written."""
    # A stub fails with the check's generic hint attached (the hint for "it raised"); counting it
    # as that mistake would blame every student who did not attempt the function.
    if "raised NotImplementedError" in output:
        return {NOT_IMPLEMENTED: NOT_IMPLEMENTED}
    found = {}
    for hint in HINT.findall(output):
        found.setdefault(NUMBER.sub("#", hint), hint)
    return found or {UNNAMED: UNNAMED}


def is_named(key: str) -> bool:
    """Whether a mistake key is a hint the graders gave, not one of the two catch-alls."""
    return key not in (UNNAMED, NOT_IMPLEMENTED)


def read_student(report: dict, fallback_name: str) -> Student:
    extra = report["extra_data"]
    name = str(extra.get("student") or fallback_name)
    assignment = str(extra["assignment"])
    functions = {function: (float(value.get("score", 0.0)), float(value.get("max_score", 0.0)))
                 for function, value in (extra.get("functions") or {}).items()}
    cases = defaultdict(list)
    for row in report.get("tests") or []:
        cases[str(row.get("name", "")).partition("[")[0]].append(row)
    outcomes = {}
    for check, rows in cases.items():
        failed = [row for row in rows if row.get("status") != "passed"]
        mistakes: dict[str, tuple[str, str]] = {}
        for row in failed:
            output = str(row.get("output") or "")
            for key, hint in mistakes_in(output).items():
                mistakes.setdefault(key, (hint, output))
        # A failure the graders named outweighs an unnamed one in another case of the same check.
        if any(map(is_named, mistakes)):
            mistakes = {key: value for key, value in mistakes.items() if is_named(key)}
        outcomes[check] = Outcome(not failed, rows[0].get("function"), mistakes)
    status = str(extra.get("status") or "graded")
    reason = str(extra.get("reason") or "")
    for field in ("flagged", "tampering"):
        if extra.get(field) and status == "graded":
            status = "flagged for tampering"
            reason = reason or (extra[field] if isinstance(extra[field], str) else "")
    return Student(name, assignment, status, float(report.get("score") or 0.0),
                   float(extra.get("max_score") or 0.0), functions, outcomes, reason)


def load(folders: list[Path]) -> tuple[dict[str, dict[str, Student]], list[str]]:
    """assignment -> student -> Student from every results.json in `folders`, and notes on files skipped."""
    classes: dict[str, dict[str, Student]] = {}
    notes = []
    for folder in folders:
        if not folder.is_dir():
            raise ReportError(f"{folder} is not a folder (give the --out folder of `nngrade grade`)")
        for path in sorted(folder.glob("*.json")):
            try:
                report = json.loads(path.read_text())
                student = read_student(report, path.stem)
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                notes.append(f"skipped {path}: not a results.json written by `nngrade grade`")
                continue
            classes.setdefault(student.assignment, {})[student.name] = student
    if not classes:
        raise ReportError(f"no graded results in {', '.join(map(str, folders))}: run "
                          "`nngrade grade SUBMITTED --assignment A --out FOLDER` first")
    return classes, notes


# --- the tables -------------------------------------------------------------------------------------

def anonymise(message: str, names: re.Pattern | None) -> str:
    message = STUDENT_FOLDER.sub(r"\1\2<student>", message)
    if names is not None:
        message = names.sub("<student>", message)
    lines = message.splitlines()
    if len(lines) > EXAMPLE_LINES:
        lines = lines[:EXAMPLE_LINES] + [f"... ({len(lines) - EXAMPLE_LINES} more lines)"]
    return "\n".join(lines)


def names_pattern(names: list[str]) -> re.Pattern | None:
    # Names of one or two characters would also match variable names such as `x` in the messages;
    # those can only reach a message through a folder name, which STUDENT_FOLDER covers.
    usable = sorted({name for name in names if len(name) >= 3}, key=len, reverse=True)
    if not usable:
        return None
    return re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, usable)) + r")(?![\w])", re.IGNORECASE)


def distribution(name: str, values: list[float], top: float) -> Distribution:
    return Distribution(name, top, histogram(values, top), statistics.fmean(values), statistics.median(values))


def analyse(assignment: str, students: dict[str, Student]) -> AssignmentReport:
    graded = [students[name] for name in sorted(students) if students[name].status == "graded"]
    apart: dict[str, list[Student]] = {}
    for name in sorted(students):
        if students[name].status != "graded":
            apart.setdefault(students[name].status, []).append(students[name])
    if len(graded) < 2:
        return AssignmentReport(assignment, graded, apart, None, [], [], [])

    totals = [student.score for student in graded]
    top = max(student.max_score for student in graded)
    names = names_pattern(list(students))
    function_names = list(dict.fromkeys(name for student in graded for name in student.functions))
    functions = [distribution(function, [student.functions.get(function, (0.0, 0.0))[0] for student in graded],
                              max(student.functions.get(function, (0.0, 0.0))[1] for student in graded))
                 for function in function_names]

    check_names = list(dict.fromkeys(check for student in graded for check in student.outcomes))
    checks = []
    # One named mistake is often caught by several checks (the value and the gradient): the summary
    # counts each student once per (function, mistake), whichever checks caught it.
    who: dict[tuple[str, str], set[str]] = defaultdict(set)
    caught_by: dict[tuple[str, str], list[str]] = defaultdict(list)
    first: dict[tuple[str, str], tuple[str, str]] = {}
    for check in check_names:
        ran = [student for student in graded if check in student.outcomes]
        passes = [student.outcomes[check].passed for student in ran]
        function = function_of(check, next((s.outcomes[check].function for s in ran), None),
                               assignment, function_names)
        counts: dict[str, int] = defaultdict(int)
        examples: dict[str, tuple[str, str]] = {}
        for student in ran:
            for key, hint_and_message in student.outcomes[check].mistakes.items():
                counts[key] += 1
                examples.setdefault(key, hint_and_message)
                if is_named(key):
                    who[function, key].add(student.name)
                    first.setdefault((function, key), hint_and_message)
                    if check not in caught_by[function, key]:
                        caught_by[function, key].append(check)
        mistakes = [Mistake(examples[key][0], function, [check], count, anonymise(examples[key][1], names),
                            named=is_named(key)) for key, count in counts.items()]
        mistakes.sort(key=lambda mistake: (not mistake.named, -mistake.students, mistake.label))
        stats = CheckStats(check, function, len(ran), sum(passes), difficulty(passes),
                           point_biserial(passes, [student.score for student in ran]), mistakes, [])
        stats.flags = flags(stats)
        checks.append(stats)
    checks.sort(key=lambda stats: (-stats.failure_rate, stats.function, stats.check))
    summary = [Mistake(hint, function, caught_by[function, key], len(who[function, key]), anonymise(message, names))
               for (function, key), (hint, message) in first.items()]
    summary.sort(key=lambda mistake: (-mistake.students, mistake.function, mistake.label))
    return AssignmentReport(assignment, graded, apart, distribution("total", totals, top), functions, checks, summary)


# --- HTML -------------------------------------------------------------------------------------------

def e(value) -> str:
    return html.escape(str(value), quote=True)


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{100 * share:.0f}%"


def number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def svg_histogram(dist: Distribution, *, width: int, height: int) -> str:
    """A bar chart of `dist.counts` as inline SVG: bins from 0 to the maximum score, counts above bars."""
    left, right, top_pad, bottom = 8, 8, 16, 30
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    peak = max(dist.counts) or 1
    bar_w = plot_w / len(dist.counts)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img"><title>{e(dist.name)}: scores of '
             f'{sum(dist.counts)} students from 0 to {dist.top:g}</title>']
    for index, count in enumerate(dist.counts):
        x = left + index * bar_w
        h = plot_h * count / peak
        y = top_pad + plot_h - h
        low, high = dist.top * index / len(dist.counts), dist.top * (index + 1) / len(dist.counts)
        parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                     f'class="{"bar-full" if index == len(dist.counts) - 1 else "bar"}">'
                     f'<title>{low:g} to {high:g}: {count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" class="count">{count}</text>')
    axis_y = top_pad + plot_h
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" class="axis"/>')
    for share in (0, 0.5, 1):
        x = left + plot_w * share
        anchor = {0: "start", 0.5: "middle", 1: "end"}[share]
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 13}" text-anchor="{anchor}" class="tick">'
                     f'{dist.top * share:g}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 3}" text-anchor="middle" class="caption">'
                 f'mean {dist.mean:.1f}, median {dist.median:.1f} of {dist.top:g}</text></svg>')
    return "".join(parts)


def bar(share: float, css: str = "") -> str:
    return f'<span class="meter {css}"><span style="width:{100 * share:.1f}%"></span></span>'


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:0;background:#fff}
main{max-width:1120px;margin:0 auto;padding:20px 28px}
h1{font-size:24px;margin:4px 0}h2{font-size:20px;margin:32px 0 4px;border-bottom:2px solid #d0d7de}
h3{font-size:16px;margin:22px 0 6px}.lead{color:#57606a;margin:2px 0 10px}
.note{background:#f6f8fa;border-left:4px solid #8c959f;padding:8px 12px;color:#424a53}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;vertical-align:top}
th{border-bottom:1px solid #d0d7de;font-weight:600;white-space:nowrap}tr.check td{border-top:1px solid #eaeef2}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-word}
.meter{display:inline-block;width:120px;height:10px;background:#eaeef2;border-radius:2px;vertical-align:middle}
.meter>span{display:block;height:100%;background:#cf222e;border-radius:2px}.meter.teach>span{background:#bc4c00}
.flag{display:inline-block;background:#ffebe9;color:#a40e26;border:1px solid #ffcecb;border-radius:10px;
padding:0 7px;font-size:12px;margin:1px 2px;white-space:nowrap}
td.small code{font-size:11.5px}.muted{color:#6e7781}
ul.mistakes{margin:2px 0 6px 18px;padding:0}ul.mistakes li{margin:2px 0}
details{display:inline-block;margin-left:8px}details[open]{display:block;margin-left:0}
details summary{cursor:pointer;color:#0969da;font-size:12px}
pre{background:#f6f8fa;border:1px solid #eaeef2;padding:8px;font-size:12px;overflow-x:auto;white-space:pre-wrap}
.charts{display:flex;flex-wrap:wrap;gap:6px 18px}.chart{margin:0}.chart figcaption{font-weight:600;font-size:13px}
svg .bar{fill:#4c78a8}svg .bar-full{fill:#2e7d32}svg .axis{stroke:#8c959f}
svg text{font:11px system-ui,sans-serif;fill:#424a53}svg .count{text-anchor:middle}svg .caption{fill:#57606a}
"""

READING = f"""Each section is one assignment; only students whose submission was graded (status "graded") enter
the statistics, the others are listed at the end of their section. <b>What to re-teach</b> ranks the
named mistakes, the hints the graders give when a wrong result is exactly what a known mistake produces,
by how many students made them. In the check table, <b>passing</b> is the item's difficulty index (the
share of students passing every case of the check), and <b>discrimination</b> is the point-biserial
correlation between passing the check and the total score: near +1 the check separates strong from weak
students, near 0 it tells them apart no better than chance, and below 0 stronger students fail it more
often, which usually means the check, or the notebook's instructions for it, is wrong. n/a means everyone
passed or everyone failed (nothing to correlate). A check is <b>flagged</b> when at most {FEW_PASS:.0%} of the
students pass it (re-teach it, or make sure the notebook asks for what it tests) or when its discrimination is
negative."""


def render(reports: list[AssignmentReport], sources: list[Path]) -> str:
    body = [f"<h1>What the class got wrong</h1><p class=\"lead\">nngrade item analysis of "
            f"{e(', '.join(str(source) for source in sources))}; how to read it: at the end of the page.</p>"]
    body += [render_assignment(report) for report in reports]
    body.append(f'<h2>How to read this report</h2><p class="note">{READING}</p>')
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>What the class got wrong: {e(', '.join(r.assignment for r in reports))}</title>"
            f"<style>{STYLE}</style></head><body><main>{''.join(body)}</main></body></html>\n")


def render_assignment(report: AssignmentReport) -> str:
    graded, apart = len(report.graded), sum(len(students) for students in report.apart.values())
    parts = [f'<section id="{e(report.assignment)}"><h2>{e(report.assignment)}</h2>']
    summary = f"{graded} graded student{'s' * (graded != 1)}"
    if report.totals:
        summary += (f", mean score {report.totals.mean:.1f} of {report.totals.top:g} "
                    f"({percent(report.totals.mean / report.totals.top if report.totals.top else 0)})")
    if apart:
        summary += f"; {apart} listed apart (end of section)"
    parts.append(f'<p class="lead">{e(summary)}.</p>')
    if report.totals is None:
        parts.append('<p class="note">The item statistics need at least two graded students.</p>')
    else:
        parts += render_mistakes(report), render_scores(report), render_checks(report)
    parts.append(render_apart(report))
    parts.append("</section>")
    return "".join(parts)


def render_mistakes(report: AssignmentReport) -> str:
    graded = len(report.graded)
    parts = ["<h3>What to re-teach: the named mistakes, most common first</h3>"]
    if not report.mistakes:
        return parts[0] + '<p class="muted">No failure matched a catalogued mistake.</p>'
    parts.append('<table><tr><th>students</th><th></th><th>function</th><th>mistake (the hint students '
                 'got)</th><th>caught by</th></tr>')
    for mistake in report.mistakes[:TOP_MISTAKES]:
        share = mistake.students / graded
        checks = "<br>".join(f"<code>{e(short(check))}</code>" for check in mistake.checks)
        parts.append(f'<tr><td class="num">{mistake.students} ({percent(share)})</td><td>{bar(share, "teach")}</td>'
                     f'<td><code>{e(mistake.function)}</code></td><td>{e(mistake.label)}'
                     f'{example(mistake.example)}</td><td class="small">{checks}</td></tr>')
    parts.append("</table>")
    if len(report.mistakes) > TOP_MISTAKES:
        parts.append(f'<p class="muted">{len(report.mistakes) - TOP_MISTAKES} rarer named mistakes are in the '
                     'check table below and in the CSV.</p>')
    return "".join(parts)


def render_scores(report: AssignmentReport) -> str:
    charts = [f'<figure class="chart"><figcaption>total</figcaption>'
              f'{svg_histogram(report.totals, width=360, height=150)}</figure>']
    charts += [f'<figure class="chart"><figcaption><code>{e(dist.name)}</code></figcaption>'
               f'{svg_histogram(dist, width=250, height=120)}</figure>' for dist in report.functions]
    return ('<h3>Score distribution</h3><p class="muted">Students per tenth of the points; the last bar, in '
            'green, holds full marks.</p><div class="charts">' + "".join(charts) + "</div>")


def render_checks(report: AssignmentReport) -> str:
    parts = ['<h3>Checks, most failed first</h3><table><tr><th>check</th><th>function</th><th>failed</th><th></th>'
             '<th>passing</th><th>discrimination</th><th>flags</th></tr>']
    for stats in report.checks:
        failed = stats.students - stats.passed
        flag_html = "".join(f'<span class="flag">{e(flag)}</span>' for flag in stats.flags)
        parts.append(f'<tr class="check"><td><code>{e(short(stats.check))}</code></td>'
                     f'<td><code>{e(stats.function)}</code></td>'
                     f'<td class="num">{failed} of {stats.students}</td><td>{bar(stats.failure_rate)}</td>'
                     f'<td class="num">{percent(stats.difficulty)}</td>'
                     f'<td class="num">{number(stats.discrimination)}</td><td>{flag_html}</td></tr>')
        if stats.mistakes:
            items = "".join(f'<li{"" if mistake.named else " class=muted"}>{mistake.students} × {e(mistake.label)}'
                            f'{example(mistake.example)}</li>' for mistake in stats.mistakes)
            parts.append(f'<tr><td colspan="7"><ul class="mistakes">{items}</ul></td></tr>')
    parts.append("</table>")
    return "".join(parts)


def render_apart(report: AssignmentReport) -> str:
    if not report.apart:
        return ""
    parts = ["<h3>Listed apart: not in the statistics</h3><table><tr><th>status</th><th>student</th>"
             "<th>score</th><th>reason</th></tr>"]
    for status, students in sorted(report.apart.items()):
        for student in students:
            parts.append(f"<tr><td>{e(status)}</td><td>{e(student.name)}</td>"
                         f'<td class="num">{student.score:g} / {student.max_score:g}</td>'
                         f"<td>{e(student.reason)}</td></tr>")
    parts.append("</table>")
    return "".join(parts)


def example(message: str) -> str:
    return f"<details><summary>example message</summary><pre>{e(message)}</pre></details>" if message else ""


def short(check: str) -> str:
    return check.removeprefix("test_")


# --- CSV --------------------------------------------------------------------------------------------

def csv_tables(reports: list[AssignmentReport]) -> dict[str, list[list]]:
    """The report's tables as rows: table name -> header and rows."""
    checks = [["assignment", "check", "function", "students", "passed", "failure_rate", "difficulty",
               "discrimination", "flags"]]
    mistakes = [["assignment", "check", "function", "mistake", "named", "students", "example"]]
    scores = [["assignment", "function", "bin_from", "bin_to", "students"]]
    apart = [["assignment", "status", "student", "score", "max_score", "reason"]]
    for report in reports:
        for stats in report.checks:
            checks.append([report.assignment, stats.check, stats.function, stats.students, stats.passed,
                           round(stats.failure_rate, 4), rounded(stats.difficulty), rounded(stats.discrimination),
                           "; ".join(stats.flags)])
            for mistake in stats.mistakes:
                mistakes.append([report.assignment, stats.check, stats.function, mistake.label,
                                 "yes" if mistake.named else "no", mistake.students, mistake.example])
        for dist in ([report.totals] if report.totals else []) + report.functions:
            for index, count in enumerate(dist.counts):
                scores.append([report.assignment, dist.name, round(dist.top * index / len(dist.counts), 4),
                               round(dist.top * (index + 1) / len(dist.counts), 4), count])
        for status, students in sorted(report.apart.items()):
            for student in students:
                apart.append([report.assignment, status, student.name, student.score, student.max_score,
                              student.reason])
    return {"checks": checks, "mistakes": mistakes, "scores": scores, "apart": apart}


def rounded(value: float | None) -> float | str:
    return "" if value is None else round(value, 4)


def to_csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


# --- the command ------------------------------------------------------------------------------------

def default_out(folders: list[Path]) -> Path:
    if len(folders) == 1:
        return folders[0] / "report.html"
    return Path(os.path.commonpath([folder.resolve() for folder in folders])) / "report.html"


def write_report(folders: list[Path], out: Path | None = None) -> tuple[list[Path], list[str]]:
    """Write the HTML report and its CSVs; return the files written and notes for the user."""
    classes, notes = load(folders)
    reports = [analyse(assignment, classes[assignment]) for assignment in sorted(classes)]
    if all(report.totals is None for report in reports):
        found = ", ".join(f"{report.assignment}: {len(report.graded)} graded"
                          + "".join(f", {len(s)} {status}" for status, s in sorted(report.apart.items()))
                          for report in reports)
        raise ReportError(f"the item statistics need at least two graded students ({found})")
    out = out or default_out(folders)
    write_atomically(out, render(reports, folders))
    written = [out]
    for name, rows in csv_tables(reports).items():
        path = out.with_name(f"{out.stem}-{name}.csv")
        write_atomically(path, to_csv(rows))
        written.append(path)
    notes += [f"{report.assignment}: only {len(report.graded)} graded student(s), no item statistics"
              for report in reports if report.totals is None]
    return written, notes
