"""`nngrade grade`: a whole class, graded in parallel, isolated, resumable.

Start-up is paid once per batch: this process imports torch and the graders and starts one zygote,
then forks the judge processes (one per `--workers`), which share that zygote; every submission gets
a fresh confined worker forked from it, as in `nngrade check`. The parent only collects finished
reports (from its own judge processes, never from student code), writes each student's results.json
atomically as soon as it arrives, and at the end the CSV and, on request, the nbgrader gradebook.
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

from graders.engine import loader, runner
from graders.engine.faults import TimedOut, Unloadable
from graders.engine.report import Verdict, function_verdicts, results_json


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
    board = runner.grade(folder, assignment, device=device, seed=seed, hide=hide)
    if unreadable:
        status, extra["reason"] = "unreadable", unreadable
    elif Unloadable in board.faults:
        status = "failed to load"
    elif TimedOut in board.faults:
        status = "timed out"
    else:
        status = "graded"
    report = results_json(board, assignment=assignment, devices=board.devices(), **extra, status=status,
                          load_errors=board.load_errors[:10], seconds=time.monotonic() - started)
    # What each notebook test cell shows, for the autograded notebooks that feedback is made from.
    for function, verdict in function_verdicts(board, board.load_errors).items():
        report["extra_data"]["functions"][function].update(report=verdict.text, report_html=verdict.html)
    return report


def _warm_up(assignment: str):
    """Pay the start-up once per batch, in this process, before the judges are forked from it: start
    the zygote (which imports torch in a process of its own, meanwhile), import torch, pytest and the
    assignment's graders. No torch operation runs here: forking after one could hang the judges."""
    import importlib

    from graders.engine.isolation import Zygote

    Zygote.shared()
    import torch  # noqa: F401

    import graders.plugin  # noqa: F401

    importlib.import_module(f"graders.test_{assignment}")


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


def in_shard(student: str, shard: tuple[int, int]) -> bool:
    """Whether `student` belongs to shard K of N (K from 1): a split by a hash of the name, the same on
    every machine and in every run, whatever else is in the class."""
    index, count = shard
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % count == index - 1


def grade_batch(submitted: Path, assignment: str, out: Path, *, workers: int = 0, force: bool = False,
                seed: int = 0, device: str = "all", gradebook: str | None = None, autograded: Path | None = None,
                shard: tuple[int, int] = (1, 1), stream=sys.stderr) -> dict:
    """Grade every submission of `assignment` under `submitted` (or of one shard of the class); return
    the counts by status.

    With `gradebook`, the scores also go into that nbgrader gradebook and each notebook submission's
    autograded notebook into `autograded/<student>/<assignment>/`, as `nbgrader autograde` leaves them.
    A shard of several writes its students' results only: `merge` makes the CSV and the gradebook."""
    out.mkdir(parents=True, exist_ok=True)
    students = [(student, folder) for student, folder in discover(submitted, assignment) if in_shard(student, shard)]
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
    if pending:
        _warm_up(assignment)
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
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
            runner.write_atomically(out / f"{student}.json", json.dumps(report, indent=2))
            progress.update(student, report)
    reports = {student: _read_report(out / f"{student}.json") for student, _ in students}
    if shard[1] == 1:
        finish(out, assignment, reports, submitted, gradebook=gradebook, autograded=autograded, stream=stream)
    return counts_by_status(reports)


def merge(shards: list[Path], out: Path, assignment: str, *, submitted: Path | None = None,
          gradebook: str | None = None, autograded: Path | None = None, stream=sys.stderr) -> dict:
    """Combine the results of a class graded in shards into `out`, with the CSV and the gradebook that
    one run over the whole class would have written. With `submitted`, every student found there is
    listed (a student no shard graded is reported missing)."""
    reports: dict[str, dict | None] = {}
    for folder in shards:
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder} is not a folder")
        for path in sorted(folder.glob("*.json")):
            report = _read_report(path)
            if report and report["extra_data"].get("assignment") == assignment:
                reports[path.stem] = report
    if submitted is not None:
        reports = {student: reports.get(student) for student, _ in discover(submitted, assignment)}
    if not reports:
        raise FileNotFoundError(f"no results for {assignment} in {', '.join(map(str, shards))}")
    out.mkdir(parents=True, exist_ok=True)
    for student, report in reports.items():
        if report and not (out / f"{student}.json").is_file():
            runner.write_atomically(out / f"{student}.json", json.dumps(report, indent=2))
    finish(out, assignment, reports, submitted, gradebook=gradebook, autograded=autograded, stream=stream)
    return counts_by_status(reports)


def finish(out: Path, assignment: str, reports: dict, submitted: Path | None, *, gradebook: str | None,
           autograded: Path | None, stream):
    """What follows the grading of a whole class: scores.csv, and the gradebook with the autograded
    notebooks."""
    write_csv(out / "scores.csv", reports)
    if gradebook:
        from graders.engine.gradebook import record

        record(gradebook, assignment, reports)
        if submitted is not None:
            course = submitted.resolve().parent
            write_autograded_notebooks(dict(discover(submitted, assignment)), reports, assignment, gradebook,
                                       autograded or course / "autograded", course, stream)


def counts_by_status(reports: dict) -> dict:
    counts: dict[str, int] = {}
    for report in reports.values():
        status = report["extra_data"].get("status", "graded") if report else "missing"
        counts[status] = counts.get(status, 0) + 1
    return counts


def write_autograded_notebooks(folders: dict[str, Path], reports: dict, assignment: str, gradebook: str,
                               autograded: Path, course_root: Path, stream=sys.stderr):
    """The autograded notebook of every graded notebook submission, for `nbgrader generate_feedback`."""
    from graders.engine.autograde import write_autograded
    from graders.engine.gradebook import course_config

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
    runner.write_atomically(path, buffer.getvalue())
