"""One zygote serves a whole batch: start-up is paid once, and each judge's workers end with that judge.

Like the hostile tests, these look only at the processes their own grading started (the `--owner` on the
zygote's command line names the process it grades for)."""

import dataclasses
import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

from graders.engine.sandbox import Limits
from graders.engine import zygote as zygote_module
from graders.engine.zygote import Zygote

REQUEST = {"limits": dataclasses.asdict(Limits()), "hide": [], "preload": []}


def zygotes_of(owner: int) -> set[int]:
    """The zygotes grading on behalf of `owner` that are its own children (the workers forked from a
    zygote carry its command line, but are not the owner's children)."""
    from test_hostile import _parents

    markers = (b"\0graders.engine.worker\0", f"\0--owner\0{owner}\0".encode())
    found = set()
    for pid, parent in _parents().items():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if parent == owner and all(marker in command for marker in markers):
            found.add(pid)
    return found


def ended(pidfd: int, within: float = 5.0) -> bool:
    return bool(select.select([pidfd], [], [], within)[0])


def test_a_batch_starts_one_zygote_for_all_its_judges_and_no_more_judges_than_cores(tmp_path):
    for number in range(6):
        folder = tmp_path / "submitted" / f"student{number}" / "losses"
        folder.mkdir(parents=True)
        (folder / "losses.py").write_text((ROOT / "solutions" / "losses.py").read_text())
    batch = subprocess.Popen([sys.executable, "-m", "graders.cli", "grade", tmp_path / "submitted", "--assignment",
                              "losses", "--workers", "64", "--out", tmp_path / "out"], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = set()
    while batch.poll() is None:
        seen |= zygotes_of(batch.pid)
        time.sleep(0.05)
    assert batch.returncode == 0
    assert len(seen) == 1, f"zygotes started by the batch: {sorted(seen)}"
    assert f"--workers 64: at most {len(os.sched_getaffinity(0))} judges" in batch.stderr.read()
    assert len(list((tmp_path / "out").glob("student*.json"))) == 6


def test_a_judges_workers_end_with_its_control_socket_and_the_zygote_serves_the_others():
    zygote = Zygote()
    judge = Zygote(control=zygote.attach())
    try:
        connection, pidfd, _ = judge.spawn(REQUEST)
        assert not ended(pidfd, within=0.2)
        judge.stop()  # the judge is gone: the worker it started is killed
        assert ended(pidfd)
        connection.close()
        os.close(pidfd)
        assert zygote.alive()
        connection, pidfd, _ = zygote.spawn(REQUEST)
        assert not ended(pidfd, within=0.2)
        connection.close()
        os.close(pidfd)
    finally:
        zygote.stop()
    assert not zygote.alive()


def test_a_judge_gone_before_its_reply_costs_the_other_judges_nothing():
    """A judge that asks for a worker and is gone (killed at its wall) before the reply is dropped, with
    that worker; the zygote and another judge's worker live on."""
    zygote = Zygote()
    judge = Zygote(control=zygote.attach())
    try:
        connection, pidfd, _ = judge.spawn(REQUEST)
        gone = zygote.attach()
        ours, theirs = socket.socketpair()
        socket.send_fds(gone, [json.dumps(REQUEST).encode()], [theirs.fileno()])
        theirs.close()
        gone.close()
        time.sleep(1.0)
        assert zygote.alive() and not ended(pidfd, within=0.1)
        again, second, _ = judge.spawn(REQUEST)
        for handle in (connection, again, ours):
            handle.close()
        for fd in (pidfd, second):
            os.close(fd)
    finally:
        zygote.stop()


def test_a_zygote_that_does_not_answer_in_time_is_a_timeout(monkeypatch):
    """The wait for a worker is bounded, and running past it is reported as a timeout (the student's
    load "timed out"), not as a crash of the submission."""
    monkeypatch.setattr(zygote_module, "SPAWN_TIMEOUT", 0.2)
    ours, silent = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    judge = Zygote(control=ours)
    with pytest.raises(TimeoutError):
        judge.spawn(REQUEST)
    assert not judge.alive()
    silent.close()
