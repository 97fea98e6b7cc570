"""The judge's handle on its zygote: a fresh interpreter that imports torch and forks the workers
(`graders.engine.worker` is its other side).

This module imports no torch, so that `nngrade check` can start the zygote first and import torch
itself while the zygote does.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from graders.engine.sandbox import scrubbed_environment

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the graders package
SPAWN_TIMEOUT = 30.0  # seconds for the zygote to start a worker


class Zygote:
    """A fresh interpreter that has imported torch and forks workers on request: one per judge process,
    or one for a whole batch, its judges each attached through a control socket of their own."""

    _shared: Zygote | None = None
    _lock = threading.Lock()
    owner: int | None = None  # the process on whose behalf it grades (default: this one)

    @classmethod
    def shared(cls, preload=()) -> Zygote:
        """This process's zygote, started (importing `preload` too: see `runner.libraries`) when there is
        none or it has ended."""
        with cls._lock:
            if cls._shared is None or not cls._shared.alive():
                cls._shared = cls(preload)
            return cls._shared

    @classmethod
    def use(cls, control: socket.socket):
        """Make `control` (a control socket that `attach` made in another process) this process's zygote."""
        with cls._lock:
            cls._shared = cls(control=control)

    def __init__(self, preload=(), control: socket.socket | None = None):
        self.lock = threading.Lock()
        self.process = None  # None for a zygote started by another process
        if control is not None:
            self.control = control
            return
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        paths = [str(PACKAGE_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        # Only what the zygote needs of this process's environment: the variables an instructor set
        # (a secret seed, a token) never reach it, nor its workers.
        env = {**scrubbed_environment(os.environ), "PYTHONPATH": os.pathsep.join(paths), "MPLBACKEND": "Agg",
               "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        # The zygote must not touch a GPU: each worker initialises its own device when a probe asks.
        self.process = subprocess.Popen([sys.executable, "-m", "graders.engine.worker", str(theirs.fileno()),
                                         "--owner", str(self.owner or os.getpid()),
                                         *(["--preload", ",".join(preload)] if preload else [])],
                                        pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        theirs.close()
        atexit.register(self.stop)

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        if self.control.fileno() < 0:
            return False
        import select

        poller = select.poll()
        poller.register(self.control, select.POLLIN)
        return not any(events & (select.POLLHUP | select.POLLERR) for _, events in poller.poll(0))

    def attach(self) -> socket.socket:
        """A new control socket to this zygote, for another process (a batch's judge) to `use`: the
        workers started through it are killed when every copy of it is closed."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with self.lock:
                socket.send_fds(self.control, [json.dumps({"attach": True}).encode()], [theirs.fileno()])
        finally:
            theirs.close()
        return ours

    def stop(self):
        """Close the control socket (the zygote then kills its workers and returns) and wait for it."""
        self.control.close()
        if self.process is None:
            return
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def spawn(self, request: dict) -> tuple[socket.socket, int, dict]:
        """A new worker: (the connection to it, a pidfd of it, the facts its launcher reported)."""
        ours, theirs = socket.socketpair()
        try:
            with self.lock:
                socket.send_fds(self.control, [json.dumps(request).encode()], [theirs.fileno()])
                self.control.settimeout(SPAWN_TIMEOUT)
                try:
                    message, fds, _, _ = socket.recv_fds(self.control, 1024, 1)
                except OSError:
                    # A zygote that does not answer in time is out of step with this socket: it is
                    # replaced (a shared one is left, and this process starts its own).
                    if self.process is not None:
                        self.process.kill()
                    else:
                        self.control.close()
                    raise
                finally:
                    if self.control.fileno() >= 0:
                        self.control.settimeout(None)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        if not fds:
            ours.close()
            raise OSError("the zygote could not start a worker")
        return ours, fds[0], json.loads(message)
