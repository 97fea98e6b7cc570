"""A judge process of `nngrade grade`: grades the students its batch sends, one at a time.

The batch's fork server imports this module once, and every judge is forked from it with what
grading needs already imported: torch, pytest, nngrade's plugin and the graders, and nbformat for
notebook submissions.
"""

from __future__ import annotations

import time
from pathlib import Path

import graders.plugin  # noqa: F401 - torch, pytest and the graders, imported once in the fork server
from graders.engine import isolation, loader, runner  # noqa: F401 - isolation: the judge's side of the workers
from graders.engine.faults import Tampered, TimedOut, Unloadable
from graders.engine.report import function_verdicts, results_json
from graders.engine.zygote import Zygote

loader.import_nbformat()
runner.import_pytest_plugins()


def serve(connection, control, owner: int):
    """A judge process, forked from the batch's fork server (which imported torch, pytest and the
    graders once for every judge): it forks its workers from the batch's one zygote, through `control`
    (without one, or when that zygote is gone, it starts its own, its workers marked as graded on behalf
    of `owner`), and grades each student sent until told to stop."""
    Zygote.owner = owner
    if control is not None:
        Zygote.use(control)
    while True:
        try:
            task = connection.recv()
        except EOFError:
            return
        if task is None:
            return
        try:
            report = grade_one(*task)
        except Exception as error:  # noqa: BLE001 - a judge's error costs one student, not the batch
            report = {"error": f"{type(error).__name__}: {error}"[:500]}
        connection.send(report)


def grade_one(student: str, folder: Path, assignment: str, seed: int, device: str, hide: list[str]) -> dict:
    """Grade one student's submission (in a judge process) and return its results.json."""
    started = time.monotonic()
    extra = {"student": student, "fingerprint": loader.fingerprint(folder, assignment, seed), "seed": seed}
    path = loader.graded_path(folder)
    try:
        loader.code_chunks(loader.resolve(path, assignment))
        unreadable = None
    except loader.UnreadableSubmission as error:
        unreadable = str(error)
    # An unreadable submission is graded too: every check fails with the reason, and the report
    # carries the assignment's full points like any other.
    board = runner.grade(path, assignment, device=device, seed=seed, hide=hide)
    if unreadable:
        status, extra["reason"] = "unreadable", unreadable
    elif Tampered in board.faults:
        status = "flagged for review"
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
