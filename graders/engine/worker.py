"""The untrusted side: the zygote that forks workers, and the worker that runs probes.

The zygote is a fresh interpreter started by the judge (`python -m graders.engine.worker FD`). It imports
torch and everything a probe or a typical submission needs, runs no torch operation (forking after
an OpenMP parallel region can hang the child) and initialises no GPU, then forks one worker per
request. Each worker confines itself (see `graders.engine.sandbox`), runs the submission's code that the
judge sent it, and answers probe requests with plain data until the judge closes the connection or
kills it.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import sys
import types

PRELOAD = ("encodings.idna", "math", "random", "itertools", "functools", "collections", "dataclasses", "typing",
           "statistics", "copy", "numpy", "torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.utils.data",
           "torch.autograd.functional", "torch.overrides", "torch.utils._python_dispatch",
           # Operations on the meta device (the device probe) run Python reference kernels that
           # import torch._dynamo on first use; a confined worker can no longer read it from disk.
           "torch._dynamo")


def preload():
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in PRELOAD:
        importlib.import_module(name)
    try:
        importlib.import_module("matplotlib.pyplot")
    except ImportError:
        pass
    _practice_grade_stub()
    for module in ("graders.engine.codec", "graders.engine.loader", "graders.engine.sandbox", "graders.probes"):
        importlib.import_module(module)


def _practice_grade_stub():
    """A notebook's cells may import the practice view (graders.notebook: `grade`, `check_all`) again,
    or patch it. In a worker nothing is graded from inside, so that module is a stand-in whose
    functions do nothing: such a cell runs as it would in the student's kernel, and the real graders
    stay out of reach."""
    import graders

    stub = types.ModuleType("graders.notebook")
    stub.grade = lambda *args, **kwargs: None
    stub.check_all = lambda *args, **kwargs: None
    sys.modules["graders.notebook"] = stub
    graders.notebook = stub


def zygote(control_fd: int):
    preload()
    import torch

    from graders.engine import sandbox

    torch.set_num_interop_threads(1)
    # Workers outlive their launcher (see start_worker): adopt them so that, with SIGCHLD ignored,
    # the kernel reaps them here instead of leaving zombies to an init that may never wait.
    sandbox.become_subreaper()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    control = socket.socket(fileno=control_fd)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 24, 1)
        except (ConnectionError, OSError):
            return
        if not message or not fds:
            return
        if os.fork() == 0:
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                start_worker(fds[0], json.loads(message))
            finally:
                os._exit(70)
        os.close(fds[0])


def start_worker(fd: int, request: dict):
    """Enter fresh namespaces, fork the worker proper (PID 1 there), tell the judge its pid, exit."""
    from graders.engine import codec, sandbox

    connection = socket.socket(fileno=fd)
    os.setsid()
    namespaced = sandbox.enter_namespaces()
    release_read, release_write = os.pipe()
    child = os.fork()
    if child:
        os.close(release_read)
        codec.write_message(connection, json.dumps({"pid": child, "pgid": os.getpgid(0)}), [])
        os.close(release_write)
        os._exit(0)
    os.close(release_write)
    os.read(release_read, 1)
    os.close(release_read)
    serve(connection, request, namespaced)


def serve(connection, request: dict, namespaced: bool):
    import torch

    from graders import probes
    from graders.engine import codec, loader, sandbox

    limits = sandbox.Limits(**request["limits"])
    layers = sandbox.confine(limits, request["hide"], namespaced)
    torch.set_num_threads(1)
    capture = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(capture, 1)
    os.dup2(capture, 2)
    sys.stdin = open(os.devnull)
    chunks = [loader.Chunk(label, source) for label, source in request["chunks"]]
    namespace, errors = loader.execute(chunks)
    codec.write_message(connection, json.dumps({"ready": True, "load_errors": errors, "layers": layers}), [])
    while True:
        try:
            header, blobs = codec.read_message(connection)
        except (EOFError, OSError):
            os._exit(0)
        try:
            call = json.loads(header)
            routine = probes.resolve(call["probe"])
            kwargs = codec.decode(call["kwargs"], blobs)
            result_header, result_blobs = codec.encode(routine(namespace, **kwargs))
            reply = json.dumps({"result": result_header})
        except BaseException as error:  # noqa: BLE001 - a probe that fails is reported, not fatal
            result_blobs = []
            reply = json.dumps({"fault": loader.describe_exception(error)})
        codec.write_message(connection, reply, result_blobs)


if __name__ == "__main__":
    zygote(int(sys.argv[1]))
