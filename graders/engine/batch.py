"""`nngrade grade`: a whole class, graded in parallel, isolated, resumable, and always to the end.

Judge processes (one per `--workers`) are forked from one fork server that imported torch and the
graders, and share one zygote: start-up is paid once per batch. Every submission gets a fresh
confined worker forked from the zygote, as in `nngrade check`. The parent
only hands out students and collects finished reports (from its own judge processes, never from
student code), writes each student's results.json atomically as soon as it arrives, and at the end
the CSV and, on request, the nbgrader gradebook. A judge that does not finish a student within the
wall (`wall`: the submission's whole budget and load time, and a margin) is killed, with its zygote's
workers, and that student is reported as timed out; a fresh judge takes the next student.

The submitted tree is data: only a student's own regular files are read (a symbolic link, for a file,
the assignment's folder or the student's folder, and a FIFO or device are unreadable, with the
reason), and a student's name is escaped wherever it is written (CSV, terminal).

A class too big for one machine is graded in shards (`--shard K/N`, a stable split by student name),
and `merge` combines their results into the CSV and the gradebook one run would have written.
"""

from __future__ import annotations

import collections
import csv
import hashlib
import io
import json
import multiprocessing
import multiprocessing.connection
import os
import sys
import time
from pathlib import Path

from graders.engine import loader, runner
from graders.engine.report import Verdict, escaped
from graders.engine.sandbox import Limits

JUDGE_MARGIN = 60.0  # seconds a judge may take beyond a submission's budget and load time


def judge_wall() -> float:
    """The most a judge may spend on one submission, everything included: its grading budget, its load
    time and JUDGE_MARGIN. `nngrade grade` kills a judge past it; `nngrade check` stops there."""
    limits = Limits()
    return limits.budget + limits.load_timeout + JUDGE_MARGIN


def discover(submitted: Path, assignment: str) -> list[tuple[str, Path]]:
    """(student, their assignment folder) for every submitted/<student>/ that holds an <assignment>
    entry, or is a symbolic link (graded as unreadable: only a student's own folder is read)."""
    if not submitted.is_dir():
        raise FileNotFoundError(f"{submitted} is not a folder")
    found = []
    for folder in submitted.iterdir():
        if folder.name.startswith("."):
            continue
        if folder.is_symlink() or (folder.is_dir() and os.path.lexists(folder / assignment)):
            found.append((folder.name, folder / assignment))
    return sorted(found)


def _serve(connection, control, owner: int):
    """A judge's life (`graders.engine.judge`), imported there: this process imports no torch."""
    from graders.engine import judge

    judge.serve(connection, control, owner)


class _Judges:
    """Judge processes, each given one student at a time and stopped when it passes the wall.

    Start-up is paid once per batch: one zygote (the workers' side) and one fork server (the judges'
    side) each import torch once, at the same time, and every judge, a replacement included, is
    forked from the fork server and attached to the zygote."""

    def __init__(self, count: int, wall: float, assignment: str):
        self.libraries = runner.libraries(assignment)
        self.context = multiprocessing.get_context("forkserver")
        # Only the first batch of a process starts the fork server; a later one forks from it as it is.
        self.context.set_forkserver_preload(["graders.engine.judge", f"graders.test_{assignment}", *self.libraries])
        self.wall = wall
        self.idle = [self._start() for _ in range(count)]
        self.busy: dict = {}  # judge -> (student, deadline)

    def _start(self):
        from graders.engine.zygote import Zygote

        ours, theirs = self.context.Pipe()
        try:
            control = Zygote.shared(self.libraries).attach()  # a fresh zygote, should the batch's have died
        except OSError:
            control = None  # the judge starts a zygote of its own
        process = self.context.Process(target=_serve, args=(theirs, control, os.getpid()), daemon=True)
        process.start()
        theirs.close()
        if control is not None:
            control.close()
        return process, ours

    def give(self, student: str, task: tuple):
        judge = self.idle.pop()
        judge[1].send(task)
        self.busy[judge] = (student, time.monotonic() + self.wall)

    def finished(self) -> list[tuple[str, dict | None, str, str]]:
        """Wait for a judge to finish or pass the wall; for each, (student, its report, or None with the
        status and the reason)."""
        soonest = min(deadline for _, deadline in self.busy.values())
        waited = [handle for process, connection in self.busy for handle in (connection, process.sentinel)]
        multiprocessing.connection.wait(waited, timeout=max(soonest - time.monotonic(), 0))
        done = []
        for judge, (student, deadline) in list(self.busy.items()):
            process, connection = judge
            report = None
            if connection.poll():
                try:
                    report = connection.recv()
                except (EOFError, OSError):
                    report = {"error": "its judge process ended"}
            elif not process.is_alive():
                report = {"error": f"its judge process ended (exit code {process.exitcode})"}
            elif time.monotonic() < deadline:
                continue
            del self.busy[judge]
            if report is not None and "error" not in report:
                self.idle.append(judge)
                done.append((student, report, "", ""))
                continue
            # Past the wall, ended, or in an unknown state after an error: replaced by a fresh judge.
            process.kill()  # its control socket closes: the zygote then kills every worker it started
            process.join()
            connection.close()
            self.idle.append(self._start())
            if report is None:
                done.append((student, None, "timed out", f"grading did not finish within {self.wall:g} s"))
            else:
                done.append((student, None, "grader error", report["error"]))
        return done

    def stop(self):
        for process, connection in self.idle:
            try:
                connection.send(None)
            except OSError:
                pass
        for process, connection in [*self.idle, *self.busy]:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
            connection.close()


def _unfinished(assignment: str, status: str, why: str, extra: dict) -> dict:
    """The report of a student whose judge failed or passed the wall: zero of the assignment's points."""
    points = runner.declared_points(assignment)
    return {"score": 0.0, "tests": [], "extra_data": {
        "assignment": assignment, "max_score": float(sum(points.values())), "devices": [],
        "functions": {function: {"score": 0.0, "max_score": top} for function, top in points.items()},
        "skipped": [], **extra, "status": status, "reason": why}}


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
        name = escaped(student)
        if self.tty:
            width = 30
            filled = int(width * self.done / self.total)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total}  ETA {eta:4.0f} s  {name[:20]:<20} {score}")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {name}: {score} ({status}), ETA {eta:.0f} s\n")
        self.stream.flush()


def available_cores() -> int:
    """The cores this process may run on: those of its CPU affinity (a Slurm or Kubernetes allocation,
    `taskset`), else every core of the machine."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def in_shard(student: str, shard: tuple[int, int]) -> bool:
    """Whether `student` belongs to shard K of N (K from 1): a split by a hash of the name, the same on
    every machine and in every run, whatever else is in the class."""
    index, count = shard
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % count == index - 1


def grade_batch(submitted: Path, assignment: str, out: Path, *, workers: int = 0, force: bool = False,
                seed: int = 0, device: str = "all", gradebook: str | None = None, autograded: Path | None = None,
                shard: tuple[int, int] = (1, 1), stream=sys.stderr, wall: float | None = None) -> dict:
    """Grade every submission of `assignment` under `submitted` (or of one shard of the class); return
    the counts by status.

    `wall` (seconds; default `judge_wall()`) is the most one
    student may take, everything included. With `gradebook`, the scores also go into that nbgrader
    gradebook and each notebook submission's autograded notebook into `autograded/<student>/<assignment>/`,
    as `nbgrader autograde` leaves them. A shard of several writes its students' results only: `merge`
    makes the CSV and the gradebook."""
    out.mkdir(parents=True, exist_ok=True)
    students = [(student, folder) for student, folder in discover(submitted, assignment) if in_shard(student, shard)]
    hide = [str(submitted.resolve()), str(out.resolve())]
    pending = collections.deque()
    for student, folder in students:
        done = _read_report(out / f"{student}.json")
        if force or not done or done["extra_data"].get("fingerprint") != loader.fingerprint(folder, assignment, seed):
            pending.append((student, folder))
    skipped = len(students) - len(pending)
    if skipped:
        stream.write(f"{skipped} of {len(students)} submissions already graded and unchanged: kept "
                     "(use --force to regrade)\n")
    progress = Progress(len(pending), stream)
    if pending:
        cores = available_cores()
        if workers > cores:
            stream.write(f"--workers {workers}: at most {cores} judges, one per core this process may use (more "
                         "would only take turns on them)\n")
        judges = _Judges(max(1, min(workers or cores, cores, len(pending))), wall or judge_wall(), assignment)
        try:
            while pending or judges.busy:
                while pending and judges.idle:
                    student, folder = pending.popleft()
                    judges.give(student, (student, folder, assignment, seed, device, hide))
                for student, report, status, why in judges.finished():
                    if report is None:
                        fingerprint = loader.fingerprint(dict(students)[student], assignment, seed)
                        report = _unfinished(assignment, status, why,
                                             {"student": student, "fingerprint": fingerprint, "seed": seed})
                    runner.write_atomically(out / f"{student}.json", json.dumps(report, indent=2))
                    progress.update(student, report)
        finally:
            judges.stop()
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
            notebook = loader.resolve(loader.graded_path(folders[student]), assignment)
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
            stream.write(escaped(f"{student}: no autograded notebook ({type(error).__name__}: {error}); "
                                 "the scores are recorded") + "\n")


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
        writer.writerow([_cell(student), *[scores.get(name, {}).get("score", 0.0) for name in functions],
                         report["score"] if report else 0.0, report["extra_data"]["max_score"] if report else "",
                         _cell(report["extra_data"].get("status", "")) if report else "missing"])
    runner.write_atomically(path, buffer.getvalue())


def _cell(text: str) -> str:
    """A text cell of the CSV that a spreadsheet shows as text: one starting like a formula (=, +, -, @)
    gets a leading apostrophe, and control characters are escaped."""
    text = escaped(str(text))
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
