"""`nngrade grade`: a whole class, graded in parallel, isolated, resumable.

Judge processes (one per `--workers`) each import torch once and start their own zygote; every
submission then gets a fresh confined worker forked from it, as in `nngrade check`. The parent
only collects finished reports (from its own judge processes, never from student code), writes
each student's results.json atomically as soon as it arrives, and at the end the CSV and, on
request, the nbgrader gradebook.
"""

from __future__ import annotations

import concurrent.futures
import csv
import hashlib
import io
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

from graders import cli, loader
from graders.report import Verdict, function_verdicts, results_json


def discover(submitted: Path, assignment: str) -> list[tuple[str, Path]]:
    """(student, their assignment folder) for every submitted/<student>/<assignment>/ folder."""
    if not submitted.is_dir():
        raise FileNotFoundError(f"{submitted} is not a folder")
    return sorted((folder.name, folder / assignment) for folder in submitted.iterdir()
                  if (folder / assignment).is_dir() and not folder.name.startswith("."))


def fingerprint(folder: Path, assignment: str, seed: int) -> str:
    """Identifies what was graded: the submission's bytes and the grading seed."""
    digest = hashlib.sha256(f"{assignment}:{seed}:".encode())
    try:
        digest.update(loader.resolve(folder, assignment).read_bytes())
    except (loader.UnreadableSubmission, OSError):
        digest.update(b"unreadable")
    return digest.hexdigest()


def grade_one(student: str, folder: Path, assignment: str, seed: int, device: str, hide: list[str]) -> dict:
    """Grade one student's submission (in a judge process) and return its results.json."""
    started = time.monotonic()
    extra = {"student": student, "fingerprint": fingerprint(folder, assignment, seed), "seed": seed}
    try:
        loader.code_chunks(loader.resolve(folder, assignment))
        unreadable = None
    except loader.UnreadableSubmission as error:
        unreadable = str(error)
    # An unreadable submission is graded too: every check fails with the reason, and the report
    # carries the assignment's full points like any other.
    board = cli.grade(folder, assignment, device=device, seed=seed, hide=hide)
    messages = " ".join(check.message for check in board.graded() if check.outcome == "failed")
    if unreadable:
        status, extra["reason"] = "unreadable", unreadable
    elif any("loading the submission" in error for error in board.load_errors):
        status = "failed to load"
    elif "timed out after" in messages:
        status = "timed out"
    else:
        status = "graded"
    report = results_json(board, assignment=assignment, devices=board.devices(), **extra, status=status,
                          load_errors=board.load_errors[:10], seconds=time.monotonic() - started)
    # What each notebook test cell shows, for the autograded notebooks that feedback is made from.
    for function, verdict in function_verdicts(board, board.load_errors).items():
        report["extra_data"]["functions"][function].update(report=verdict.text, report_html=verdict.html)
    return report


def _warm_judge():
    """Start a judge process: import torch and the graders, start its zygote, before any grading."""
    from graders.isolation import Zygote

    Zygote.shared()
    import torch  # noqa: F401

    import graders.plugin  # noqa: F401


class Progress:
    """A bar with counts and an ETA on a terminal; plain log lines otherwise."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        self.started = time.monotonic()
        self.tty = stream.isatty()

    def update(self, student: str, report: dict):
        self.done += 1
        status = report["extra_data"]["status"]
        score = f"{report['score']:g}/{report['extra_data']['max_score']:g}"
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done * (self.total - self.done)
        if self.tty:
            width = 30
            filled = int(width * self.done / self.total)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total}  ETA {eta:4.0f} s  {student[:20]:<20} {score}")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {student}: {score} ({status}), ETA {eta:.0f} s\n")
        self.stream.flush()


def grade_batch(submitted: Path, assignment: str, out: Path, *, workers: int = 0, force: bool = False,
                seed: int = 0, device: str = "all", gradebook: str | None = None, autograded: Path | None = None,
                stream=sys.stderr) -> dict:
    """Grade every submission of `assignment` under `submitted`; return the counts by status.

    With `gradebook`, the scores also go into that nbgrader gradebook and each notebook submission's
    autograded notebook into `autograded/<student>/<assignment>/`, as `nbgrader autograde` leaves them."""
    out.mkdir(parents=True, exist_ok=True)
    students = discover(submitted, assignment)
    hide = [str(submitted.resolve()), str(out.resolve())]
    pending = []
    for student, folder in students:
        done = _read_report(out / f"{student}.json")
        if force or not done or done["extra_data"].get("fingerprint") != fingerprint(folder, assignment, seed):
            pending.append((student, folder))
    skipped = len(students) - len(pending)
    if skipped:
        stream.write(f"{skipped} of {len(students)} submissions already graded and unchanged: kept "
                     "(use --force to regrade)\n")
    progress = Progress(len(pending), stream)
    workers = max(1, min(workers or os.cpu_count() or 1, len(pending) or 1))
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_warm_judge) as pool:
        futures = {pool.submit(grade_one, student, folder, assignment, seed, device, hide): student
                   for student, folder in pending}
        for future in concurrent.futures.as_completed(futures):
            student = futures[future]
            try:
                report = future.result()
            except Exception as error:  # noqa: BLE001 - a judge crash costs one student, not the batch
                report = {"score": 0.0, "tests": [], "extra_data": {
                    "assignment": assignment, "max_score": 0.0, "devices": [], "student": student,
                    "status": "grader error", "reason": f"{type(error).__name__}: {error}"}}
            cli.write_atomically(out / f"{student}.json", json.dumps(report, indent=2))
            progress.update(student, report)
    reports = {student: _read_report(out / f"{student}.json") for student, _ in students}
    write_csv(out / "scores.csv", reports)
    if gradebook:
        from graders.gradebook import record

        record(gradebook, assignment, reports)
        write_autograded_notebooks(dict(students), reports, assignment, gradebook,
                                   autograded or submitted.resolve().parent / "autograded", submitted.resolve().parent, stream)
    counts: dict[str, int] = {}
    for report in reports.values():
        status = report["extra_data"].get("status", "graded") if report else "missing"
        counts[status] = counts.get(status, 0) + 1
    return counts


def write_autograded_notebooks(folders: dict[str, Path], reports: dict, assignment: str, gradebook: str,
                               autograded: Path, course_root: Path, stream=sys.stderr):
    """The autograded notebook of every graded notebook submission, for `nbgrader generate_feedback`."""
    from graders.autograde import write_autograded
    from graders.gradebook import course_config

    config = course_config(course_root)
    for student, report in sorted(reports.items()):
        if not report or report["extra_data"].get("status") == "unreadable":
            continue
        try:
            notebook = loader.resolve(folders[student], assignment)
        except loader.UnreadableSubmission:
            continue
        if notebook.suffix != ".ipynb":
            continue
        verdicts = {function: Verdict(entry["score"], entry.get("report", ""), entry.get("report_html", ""))
                    for function, entry in report["extra_data"].get("functions", {}).items()}
        try:
            write_autograded(notebook, autograded / student / assignment / f"{assignment}.ipynb", student=student,
                             assignment=assignment, db_url=gradebook, verdicts=verdicts, config=config)
        except Exception as error:  # noqa: BLE001 - one notebook nbgrader cannot sanitise costs its feedback only
            stream.write(f"{student}: no autograded notebook ({type(error).__name__}: {error}); "
                         "the scores are recorded\n")


def _read_report(path: Path) -> dict | None:
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) and "extra_data" in report else None


def write_csv(path: Path, reports: dict):
    """student x function scores, the functions in the notebook's order (the order of the results)."""
    functions = list(dict.fromkeys(name for report in reports.values() if report
                                   for name in report["extra_data"].get("functions", {})))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", *functions, "total", "max_score", "status"])
    for student, report in sorted(reports.items()):
        scores = report["extra_data"].get("functions", {}) if report else {}
        writer.writerow([student, *[scores.get(name, {}).get("score", 0.0) for name in functions],
                         report["score"] if report else 0.0, report["extra_data"]["max_score"] if report else "",
                         report["extra_data"].get("status", "") if report else "missing"])
    cli.write_atomically(path, buffer.getvalue())
