"""The judge's side of isolation: a zygote process to fork workers from, and the `Isolated`
backend of the `Submission` proxy.

The judge never executes student code. It sends the submission's code to a worker, sends probe
requests, and reads back plain data (`graders.engine.codec`), under a deadline per call and a time
budget per submission. A worker that hangs, dies or misbehaves is killed with everything it
started; the call fails with a one-line reason and the next call gets a fresh worker.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from graders.engine import codec
from graders.engine.faults import BudgetSpent, ProbeFailed, TimedOut, Unloadable, UnreadableReply, WorkerEnded
from graders.engine.sandbox import Limits

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the graders package


def private_paths() -> list[Path]:
    """What no worker may read: the reference solutions and the instructor's source notebooks, beside
    an editable install's graders or in the current folder (the course root, for nbgrader)."""
    roots = dict.fromkeys((PACKAGE_ROOT, Path.cwd().resolve()))
    return [root / name for root in roots for name in ("solutions", "exercises") if (root / name).is_dir()]


class Zygote:
    """A fresh interpreter that has imported torch and forks workers on request: one per grading run,
    shared by the judge processes that `nngrade grade` forks from the process that started it."""

    _shared: Zygote | None = None
    _lock = threading.Lock()

    @classmethod
    def shared(cls) -> Zygote:
        with cls._lock:
            inherited = cls._shared is not None and cls._shared.owner != os.getpid()
            # A judge forked from the owner uses the owner's zygote (one message on the control socket
            # is one request, whoever sends it); only the owner, its parent, can tell whether it ended.
            if not inherited and (cls._shared is None or cls._shared.process.poll() is not None):
                cls._shared = cls()
            return cls._shared

    def __init__(self):
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        paths = [str(PACKAGE_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1",
               "PYTHONDONTWRITEBYTECODE": "1"}
        # The zygote must not touch a GPU: each worker initialises its own device when a probe asks.
        self.process = subprocess.Popen([sys.executable, "-m", "graders.engine.worker", str(theirs.fileno())],
                                        pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        theirs.close()
        self.owner = os.getpid()
        self.lock = threading.Lock()
        atexit.register(self.stop)

    def stop(self):
        """Close the control socket (the zygote then returns) and wait for the zygote to end; one
        still importing torch (a run that ended early) is killed: it holds nothing worth waiting for."""
        if self.owner != os.getpid():
            return
        self.control.close()
        try:
            self.process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def spawn(self, request: dict) -> socket.socket:
        ours, theirs = socket.socketpair()
        with self.lock:
            socket.send_fds(self.control, [json.dumps(request).encode()], [theirs.fileno()])
        theirs.close()
        return ours


class Isolated:
    """Student code in a confined worker process."""

    def __init__(self, chunks, limits: Limits | None = None, hide=()):
        limits = limits or Limits()
        self.request = {"chunks": [[chunk.label, chunk.source] for chunk in chunks],
                        "limits": dataclasses.asdict(limits), "hide": [str(path) for path in hide]}
        self.limits = limits
        self.spent = 0.0
        self.connection = None
        self.pids: tuple[int, int] | None = None
        self.load_errors: list[str] = []
        self.unloadable: str | None = None
        self.layers: list[str] = []
        self._start()

    def _start(self):
        started = time.monotonic()
        self.connection = Zygote.shared().spawn(self.request)
        try:
            hello = self._receive(started + 30)
            self.pids = (int(hello["pid"]), int(hello["pgid"]))
            ready = self._receive(started + self.limits.load_timeout)
            self.load_errors = [str(error) for error in ready.get("load_errors", [])][:50]
            self.layers = [str(layer) for layer in ready.get("layers", [])]
        except TimeoutError:
            self.unloadable = f"loading the submission timed out after {self.limits.load_timeout:g} s"
        except (EOFError, OSError, codec.CodecError, ValueError, KeyError, TypeError):
            self.unloadable = ("loading the submission ended its process (sys.exit, os._exit, a crash, "
                               "or a limit exceeded)")
        finally:
            self.spent += time.monotonic() - started
        if self.unloadable:
            self.close()

    def _receive(self, deadline: float) -> dict:
        header, _ = codec.read_message(self.connection, limit=1 << 20, deadline=deadline)
        message = json.loads(header)
        if type(message) is not dict:
            raise ValueError("malformed message")
        return message

    def run(self, probe: str, header: str, blobs: list[bytes], timeout: float | None = None):
        if self.unloadable:
            raise Unloadable(self.unloadable)
        left = self.limits.budget - self.spent
        if left <= 0:
            raise BudgetSpent(f"the submission used up its grading time ({self.limits.budget:g} s) "
                              "on earlier checks")
        if self.connection is None:
            self._start()
            if self.unloadable:
                raise Unloadable(self.unloadable)
        limit = min(timeout or self.limits.call_timeout, left)
        started = time.monotonic()
        try:
            codec.write_message(self.connection, json.dumps({"probe": probe, "kwargs": header}), blobs)
            reply_header, reply_blobs = codec.read_message(self.connection, deadline=started + limit)
            reply = json.loads(reply_header)
        except TimeoutError:
            self.close()
            raise TimedOut(f"timed out after {limit:g} s") from None
        except (EOFError, OSError):
            self.close()
            raise WorkerEnded("the worker process ended during the call: the submission exited "
                              "(sys.exit/os._exit), crashed, or exceeded a limit") from None
        except (codec.CodecError, ValueError) as error:
            self.close()
            raise UnreadableReply(f"the worker sent an unreadable reply ({error})") from None
        finally:
            self.spent += time.monotonic() - started
        if type(reply) is not dict or not ("result" in reply or "fault" in reply):
            raise UnreadableReply("the worker sent an unreadable reply")
        if "fault" in reply:
            raise ProbeFailed(f"the probe failed next to the submission: {str(reply['fault'])[:300]}")
        if type(reply["result"]) is not str:
            raise UnreadableReply("the worker sent an unreadable reply")
        return reply["result"], reply_blobs

    def close(self):
        if self.pids:
            pid, group = self.pids
            for kill in (lambda: os.kill(pid, signal.SIGKILL), lambda: os.killpg(group, signal.SIGKILL)):
                try:
                    kill()
                except (ProcessLookupError, PermissionError):
                    pass
            self.pids = None
        if self.connection is not None:
            self.connection.close()
            self.connection = None
