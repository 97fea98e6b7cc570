"""Hostile submissions earn nothing they did not earn honestly, and leave nothing behind.

Each file in tests/hostile/ says in its docstring (a notebook: in a markdown cell) the score it must get
(`score: N`, out of 42), whether it stands alone (`standalone: yes`) or is appended to the reference
solution, so that its honest functions are right and only the sabotaged ones are wrong, and optionally
`padding: N`, bytes of comment the test appends to it.

The tests look only at what their own grading started: the processes whose command line names this
test process as their owner (the zygote's `--owner`, which its workers inherit) and their descendants,
so that they pass while other gradings run on the same machine.
"""

import os
import re
import time
from pathlib import Path

import pytest

from conftest import ROOT, with_reference

HOSTILE = sorted(path for path in (Path(__file__).parent / "hostile").iterdir() if path.suffix in (".py", ".ipynb"))
MARKERS = ("nngrade-hostile-*", "results.json")
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def verdict(path):
    text = path.read_text()
    line = r'(?:^|")'  # a line of a .py docstring, or of a notebook cell's source
    score = int(re.search(line + r"score:\s*(\d+)", text, re.M).group(1))
    padding = re.search(line + r"padding:\s*(\d+)", text, re.M)
    return score, bool(re.search(line + r"standalone:\s*yes", text, re.M)), int(padding.group(1)) if padding else 0


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if fields[0] != "Z":  # zombies are already dead
                parents[int(entry.name)] = int(fields[1])
    return parents


def owned_processes(owner: int = None) -> list[int]:
    """Live processes that a grading on behalf of `owner` (default: this process) started, but its
    zygote: those whose command line names the owner, and their descendants."""
    from graders.engine.zygote import Zygote

    marker = f"\0--owner\0{owner or os.getpid()}\0".encode()
    parents = _parents()
    found = set()
    for pid in parents:
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes() + b"\0":
                found.add(pid)
        except OSError:
            continue
    grew = True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in found} - found
        found |= children
        grew = bool(children)
    zygote = Zygote._shared.process.pid if Zygote._shared and Zygote._shared.process else None
    return sorted(found - {zygote})


def settled(owner: int = None) -> list[int]:
    deadline = time.monotonic() + 5
    while owned_processes(owner) and time.monotonic() < deadline:
        time.sleep(0.1)
    return owned_processes(owner)


def stray_files(*folders):
    return [path for folder in folders for pattern in MARKERS for path in Path(folder).glob(pattern)]


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
def test_hostile_submission_earns_only_what_it_earned_honestly(grade, path, tmp_path):
    score, standalone, padding = verdict(path)
    folder = tmp_path / "submission"
    folder.mkdir()
    if standalone:
        submission = folder / f"losses{path.suffix}"
        submission.write_text(path.read_text())
    else:
        submission = with_reference(path, "losses", folder)
    if padding:
        with submission.open("a") as handle:
            handle.write(("\n# " + "x" * 98) * (padding // 100) + "\n")
    watched = [folder, "/tmp", Path.home(), Path.cwd()]
    before = set(stray_files(*watched))
    board = grade(submission, "losses", call_timeout=5, load_timeout=15)
    assert board.total() == (score, 42.0), f"{path.name} got {board.total()[0]}, expected {score}"
    messages = [check.message for check in board.checks.values()] + board.load_errors
    assert not [text for text in messages if CONTROLS.search(text)], "a control character reached the report"
    assert all(len(line) <= 300 for text in messages for line in text.splitlines())
    assert settled() == [], "a worker process (or something it started) outlived the grading"
    assert set(stray_files(*watched)) - before == set(), "a file appeared outside the worker's scratch folder"


@pytest.mark.parametrize("name", ["wraps_the_probe.py", "walks_the_stack.py", "forged_reply_frames.py"])
def test_tampering_is_flagged_for_review_with_the_evidence(grade, name, tmp_path):
    from graders.engine.report import results_json

    board = grade(with_reference(ROOT / "tests" / "hostile" / name, "losses", tmp_path), "losses", call_timeout=5)
    assert board.total() == (0.0, 42.0) and board.flagged
    report = results_json(board, assignment="losses", devices=["cpu"])
    assert report["extra_data"]["flagged"] == board.flagged
    assert all(test["status"] == "failed" for test in report["tests"])
    assert any("tamper" in test["output"] for test in report["tests"])


def test_a_secret_seed_reveals_no_inputs_or_expected_values(grade, tmp_path):
    """A report of a grading with a seed other than the practice seed says what failed and why, and
    shows no number that would let a student rebuild the seed's inputs or expected results."""
    wrong = tmp_path / "losses.py"
    wrong.write_text((ROOT / "solutions" / "losses.py").read_text()
                     + "\n\ndef mse_loss(input, target, reduction='mean'):\n    return ((input - target) ** 2).sum()\n")
    secret, practice = grade(wrong, "losses", seed=4711), grade(wrong, "losses")
    assert secret.total() == practice.total() and secret.total()[0] < 42
    failed = [check.message for check in secret.graded() if check.outcome == "failed"]
    shown = [check.message for check in practice.graded() if check.outcome == "failed"]
    assert failed and all("the values differ from F.mse_loss" in text for text in failed[:1])
    assert any("Expected:" in text for text in shown), "the practice seed shows the values"
    assert not [text for text in failed if "Expected:" in text or "Got:" in text
                or re.search(r"\d\.\d|tensor\(", text)]
    # pytest run directly, with the plugin, redacts the same way
    import subprocess
    import sys

    command = [sys.executable, "-m", "pytest", "--pyargs", "graders.test_losses", "--submission", str(wrong),
               "--seed", "4711", "--function", "mse_loss", "--device", "cpu", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "failed" in done.stdout and "the values differ from F.mse_loss" in done.stdout
    assert "Expected:" not in done.stdout and "Got:" not in done.stdout


SPINS = ("spin", "spin2", "spin3", "spin4")


def test_the_budget_is_a_hard_wall_restarts_included():
    """Calls that time out restart the worker; all of it together stays within the submission's budget."""
    from graders.engine.isolation import Isolated
    from graders.engine.loader import Chunk
    from graders.engine.proxy import Submission
    from graders.engine.sandbox import Limits
    from graders.probes import core

    code = [Chunk("spin.py", "".join(f"def {name}():\n    while True:\n        pass\n" for name in SPINS))]
    started = time.monotonic()
    worker = Isolated(code, Limits(budget=6, call_timeout=2.5))
    submission = Submission(worker)
    outcomes = []
    try:
        for name in SPINS:
            try:
                submission.run(core.call, function=name)
                outcomes.append("returned")
            except Exception as error:  # noqa: BLE001
                outcomes.append(type(error).__name__)
    finally:
        worker.close()
    assert time.monotonic() - started < 6 + 3, outcomes
    assert outcomes[0] == "TimedOut" and outcomes[-1] == "BudgetSpent"
    assert settled() == []


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
    assert facts["pid"] == 1 and 200_000 <= facts["uid"] < 260_000
    assert facts["network"].startswith("unreachable") and facts["root_writable"] is False
    assert facts["seccomp"] == "filter" and facts["no_new_privs"] is True
    assert set(facts["environment"]) <= {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "LD_LIBRARY_PATH", "MPLBACKEND",
                                         "OMP_NUM_THREADS", "PYTHONDONTWRITEBYTECODE", "HOME", "TMPDIR",
                                         "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES",
                                         "ROCR_VISIBLE_DEVICES", "CUDA_HOME"}
    assert not [mount for mount in facts["mounts"] if str(ROOT) in mount or mount.startswith("/work")]
    assert all("nosuid" in mount for mount in facts["mounts"])
    assert any("seccomp" in layer for layer in worker.layers) and "no_new_privs" in worker.layers
