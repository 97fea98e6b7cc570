"""Hostile submissions earn nothing they did not earn honestly, and leave nothing behind.

Each file in tests/hostile/ says in its docstring the score it must get (`score: N`, out of 42) and
whether it stands alone (`standalone: yes`) or is appended to the reference solution, so that its
honest functions are right and only the sabotaged ones are wrong.
"""

import os
import re
import time
from pathlib import Path

import pytest

from conftest import with_reference

HOSTILE = sorted((Path(__file__).parent / "hostile").glob("*.py"))
WORKER_UIDS = range(200_000, 260_000)
MARKERS = ("nngrade-hostile-*", "results.json")


def verdict(path):
    text = path.read_text()
    return int(re.search(r"^score:\s*(\d+)", text, re.M).group(1)), bool(re.search(r"^standalone:\s*yes", text, re.M))


def worker_processes():
    """Live processes (zombies, already dead, excluded) of the users that workers run as."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                alive = (entry / "stat").read_text().rpartition(")")[2].split()[0] != "Z"
                if entry.stat().st_uid in WORKER_UIDS and alive:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def stray_files(*folders):
    return [path for folder in folders for pattern in MARKERS for path in Path(folder).glob(pattern)]


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.stem)
def test_hostile_submission_earns_only_what_it_earned_honestly(grade, path, tmp_path):
    score, standalone = verdict(path)
    folder = tmp_path / "submission"
    folder.mkdir()
    if standalone:
        submission = folder / "losses.py"
        submission.write_text(path.read_text())
    else:
        submission = with_reference(path, "losses", folder)
    watched = [folder, "/tmp", Path.home(), Path.cwd()]
    before = set(stray_files(*watched))
    board = grade(submission, "losses", call_timeout=5, load_timeout=15)
    assert board.total() == (score, 42.0), f"{path.name} got {board.total()[0]}, expected {score}"
    deadline = time.monotonic() + 5
    while worker_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert worker_processes() == [], "a worker process (or something it started) outlived the grading"
    assert set(stray_files(*watched)) - before == set(), "a file appeared outside the worker's scratch folder"


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/proc/self/ns/pid").exists(),
                    reason="the full sandbox needs root on Linux")
def test_a_worker_runs_confined():
    from graders.engine.isolation import Isolated
    from graders.engine.proxy import Submission
    from graders.probes import core

    worker = Isolated([], hide=[])
    try:
        facts = Submission(worker).run(core.explain_isolation)
    finally:
        worker.close()
    assert facts["pid"] == 1 and facts["uid"] in WORKER_UIDS
    assert facts["network"].startswith("unreachable") and facts["root_writable"] is False
    assert any("read-only" in layer for layer in worker.layers)
