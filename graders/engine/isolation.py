"""The judge's side of isolation: the `Isolated` backend of the `Submission` proxy, whose workers the
zygote forks (`graders.engine.zygote`).

The judge never executes student code. It sends the submission's code to a worker, sends probe
requests, and reads back plain data (`graders.engine.codec`), under a deadline per call and a hard wall
per submission (`Limits.budget`, counted from the first worker's start, restarts included). A worker
that hangs, dies or misbehaves is killed with everything it started; the call fails with a one-line
reason and the next call gets a fresh worker.

Nothing a worker says about itself is taken on trust: every request carries a fresh nonce that its
reply must echo (a frame the student's code wrote on the channel does not), a reply's size and shape are
checked before it is read, and the worker is ended through a pidfd that the zygote handed over before
any student code ran, so clean-up can never reach another process.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import signal
import time
from pathlib import Path

from graders.engine import codec
from graders.engine.faults import (BudgetSpent, ProbeFailed, Tampered, TimedOut, Unloadable, UnreadableReply,
                                   WorkerEnded)
from graders.engine.report import printable
from graders.engine.sandbox import Limits
from graders.engine.zygote import PACKAGE_ROOT, Zygote


def private_paths() -> list[Path]:
    """What no worker may read: the reference solutions and the instructor's source notebooks, beside
    an editable install's graders or in the current folder (the course root, for nbgrader)."""
    roots = dict.fromkeys((PACKAGE_ROOT, Path.cwd().resolve()))
    return [root / name for root in roots for name in ("solutions", "exercises") if (root / name).is_dir()]


def _nonce() -> str:
    return secrets.token_hex(16)


class Isolated:
    """Student code in a confined worker process."""

    def __init__(self, chunks, limits: Limits | None = None, hide=(), preload=()):
        limits = limits or Limits()
        self.request = {"limits": dataclasses.asdict(limits), "hide": [str(path) for path in hide],
                        "preload": list(preload)}
        self.labels = [chunk.label for chunk in chunks]
        self.code = [chunk.source.encode() for chunk in chunks]
        self.limits = limits
        self.deadline = time.monotonic() + limits.budget  # the hard wall for everything done for it
        self.connection = None
        self.pidfd: int | None = None
        self.launcher: dict = {}
        self.load_errors: list[str] = []
        self.unloadable: str | None = None
        self.tampered: list[str] = []
        self.layers: list[str] = []
        if sum(map(len, self.code)) > codec.MAX_CODE:
            self.unloadable = f"the submission's code is larger than {codec.size_text(codec.MAX_CODE)}"
        else:
            self._start()

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    def _start(self):
        load_deadline = time.monotonic() + min(self.limits.load_timeout, max(self._left(), 0))
        try:
            self.connection, self.pidfd, self.launcher = Zygote.shared(self.request["preload"]).spawn(self.request)
            nonce = _nonce()
            self.connection.settimeout(max(load_deadline - time.monotonic(), 0.001))
            # The code goes as one blob, however many cells it has, cut up again by the sizes in the header.
            header = {"nonce": nonce, "labels": self.labels, "sizes": list(map(len, self.code))}
            codec.write_message(self.connection, json.dumps(header), [b"".join(self.code)])
            ready, _ = self._receive(nonce, load_deadline)
            self.load_errors = [printable(str(error))[:300] for error in ready.get("load_errors", [])][:50]
            self.layers = [printable(str(layer))[:300] for layer in ready.get("layers", [])][:20]
        except TimeoutError:
            if self._left() > 0:
                self.unloadable = f"loading the submission timed out after {self.limits.load_timeout:g} s"
            else:  # the budget ran out while a worker was restarted: calls now fail as BudgetSpent
                self.close()
        except Tampered as evidence:
            self.unloadable = str(evidence)
        except (EOFError, OSError, ValueError, KeyError, TypeError, AttributeError):
            self.unloadable = ("loading the submission ended its process (sys.exit, os._exit, a crash, "
                               "or a limit exceeded), or it sent something unreadable")
        if self.unloadable:
            self.close()

    def _receive(self, nonce: str, deadline: float) -> tuple[dict, list[bytes]]:
        """The worker's reply to the request that carried `nonce`. Raises Tampered (and remembers
        why) for a frame that does not echo it or that reports evidence of tampering."""
        header, blobs = codec.read_message(self.connection, deadline=deadline)
        message = codec.parse(header)
        if type(message) is not dict:
            raise codec.CodecError("a reply that is not a JSON object")
        if message.get("nonce") != nonce:
            self._tampered(["a frame the grading did not ask for came back on the probe channel "
                            "(written there by the submission)"])
        evidence = message.get("tampered")
        if evidence:
            self._tampered([str(line) for line in evidence][:10] if type(evidence) is list else [str(evidence)])
        return message, blobs

    def _tampered(self, evidence: list[str]):
        self.tampered += [printable(line)[:300] for line in evidence]
        raise Tampered(f"tampering with the grading machinery: {self.tampered[0]}")

    def run(self, probe: str, header: str, blobs: list[bytes], timeout: float | None = None):
        if self.tampered:
            raise Tampered(f"not run: tampering with the grading machinery ({self.tampered[0]})")
        if self.unloadable:
            raise Unloadable(self.unloadable)
        if self.connection is None and self._left() > 0:
            self._start()
            if self.unloadable:
                raise Unloadable(self.unloadable)
        if self.connection is None or self._left() <= 0:
            raise BudgetSpent(f"the submission used up its grading time ({self.limits.budget:g} s) "
                              "on earlier checks")
        limit = min(timeout or self.limits.call_timeout, max(self._left(), 0.001))
        started = time.monotonic()
        nonce = _nonce()
        try:
            self.connection.settimeout(limit)
            codec.write_message(self.connection, json.dumps({"nonce": nonce, "probe": probe, "kwargs": header}),
                                blobs)
            reply, reply_blobs = self._receive(nonce, started + limit)
        except TimeoutError:
            self.close()
            raise TimedOut(f"timed out after {limit:g} s") from None
        except (EOFError, OSError):
            self.close()
            raise WorkerEnded("the worker process ended during the call: the submission exited "
                              "(sys.exit/os._exit), crashed, or exceeded a limit") from None
        except codec.CodecError as error:
            self.close()
            raise UnreadableReply(f"the worker sent an unreadable reply ({error})") from None
        except Tampered:
            self.close()
            raise
        if "fault" in reply:
            raise ProbeFailed(f"the probe failed next to the submission: {str(reply['fault'])[:300]}")
        if type(reply.get("result")) is not str:
            self.close()
            raise UnreadableReply("the worker sent an unreadable reply")
        return reply["result"], reply_blobs

    def close(self):
        if self.pidfd is not None:
            if not self.launcher.get("namespaced"):
                self._kill_group()
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.close(self.pidfd)
            self.pidfd = None
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _kill_group(self):
        """Without a PID namespace of its own, what the worker started is found by its process group.
        The group's number cannot have passed to another process while the worker, a member of it,
        still runs: the group is signalled only then (checked through the pidfd, just before)."""
        import select

        pid, group = self.launcher.get("pid"), self.launcher.get("group")
        if type(pid) is not int or type(group) is not int or select.select([self.pidfd], [], [], 0)[0]:
            return
        try:
            if os.getpgid(pid) == group:
                os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
