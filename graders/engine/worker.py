"""The untrusted side: the zygote that forks workers, and the worker that runs probes.

The zygote is a fresh interpreter started by the judge, or by a batch for all its judges (`python -m
graders.engine.worker FD --owner PID`, see `graders.engine.zygote`). It imports torch and everything a probe
or a typical submission needs, runs no torch operation (forking after an OpenMP parallel region can hang
the child) and initialises no GPU, then forks one worker per request. For each, it hands the judge a
pidfd of the worker (a handle that can only ever signal that process) and keeps one itself: when a judge
goes away, the zygote kills every worker started through that judge's control socket, and when the last
judge is gone, it ends. Each worker confines itself (see `graders.engine.sandbox`), reads the submission's code from the
judge, runs it, and answers probe requests with plain data until the judge closes the connection or
kills it. Every reply echoes the request's nonce and carries what `graders.engine.tamper` noticed.
"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import select
import signal
import socket
import sys
import types

PRELOAD = ("encodings.idna", "math", "random", "itertools", "functools", "collections", "dataclasses", "typing",
           "statistics", "copy", "numpy", "torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.utils.data",
           "torch.autograd.functional", "torch.overrides", "torch.utils._python_dispatch",
           # torch._check, which every operation on the `meta` device reaches, imports sympy through it.
           "torch.fx.experimental.symbolic_shapes")


def preload(extra=()):
    """Import what every worker needs, then `extra`: the modules an assignment's grading is known to
    need (its grader's LIBRARIES, such as torch._dynamo, which torch.optim's step imports)."""
    from graders.engine import sandbox

    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in PRELOAD:
        importlib.import_module(name)
    _practice_grade_stub()
    for module in ("graders.engine.codec", "graders.engine.loader", "graders.engine.sandbox",
                   "graders.engine.tamper", "graders.probes"):
        importlib.import_module(module)
    skip_dynamo_in_decompositions()
    sandbox.libc()  # found once here, for every worker
    import_libraries(extra)


def import_libraries(names) -> None:
    """Import each module of `names` not imported yet; one that is missing is left to the worker."""
    for name in names:
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except ImportError:
                pass


def skip_dynamo_in_decompositions():
    """PyTorch's Python kernels (the `meta` device's, in the device probe) are wrapped so that torch.compile
    never traces into them, and the first call of each imports torch._dynamo to say so: a second of
    start-up for a worker that compiles nothing. Each wrapper caches the function it calls on its first
    call; cached now as the function itself, they call it directly, as they do when nothing is being
    compiled. (Under a later torch.compile these kernels may be traced; the results are the same.)"""
    import gc

    import torch._compile

    wrapper = torch._compile._disable_dynamo(lambda: None)
    if "fn" not in wrapper.__code__.co_freevars:
        return
    slot = wrapper.__code__.co_freevars.index("fn")
    for candidate in gc.get_objects():
        if type(candidate) is types.FunctionType and candidate.__code__ is wrapper.__code__:
            function = candidate.__closure__[slot].cell_contents
            if getattr(function, "__dynamo_disable", None) is None:
                try:
                    function.__dynamo_disable = function
                except (AttributeError, TypeError):
                    pass


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


def zygote(control_fd: int, extra=()):
    """Serve the judge's control socket, and every control socket attached through one (a batch's
    judges share one zygote): a request carries a connection for a new worker, or a control socket to
    attach. When a control socket closes, the workers started through it are killed; when the last one
    closes, the zygote ends."""
    preload(extra)
    import torch

    from graders.engine import sandbox

    torch.set_num_interop_threads(1)
    # Workers outlive their launcher (see start_worker): adopt them so that, with SIGCHLD ignored,
    # the kernel reaps them here instead of leaving zombies to an init that may never wait.
    sandbox.become_subreaper()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    controls: dict[socket.socket, list[int]] = {socket.socket(fileno=control_fd): []}  # -> its workers' pidfds
    try:
        while controls:
            for control in select.select(list(controls), [], [])[0]:
                try:
                    message, fds, _, _ = socket.recv_fds(control, 1 << 16, 1)
                except (ConnectionError, OSError):
                    message, fds = b"", []
                if not message or not fds:
                    _close(control, controls)
                    continue
                try:
                    _serve_request(control, json.loads(message), fds[0], controls)
                except (OSError, ValueError):
                    # This judge's request could not be served or answered (its socket closed while
                    # it waited, no process could be forked): that judge is dropped with its workers,
                    # and every other judge goes on.
                    _close(control, controls)
    finally:
        # Every judge is gone (or the zygote failed): nothing it started may go on running.
        for control in list(controls):
            _close(control, controls)


def _serve_request(control: socket.socket, request: dict, fd: int, controls: dict):
    """Attach the control socket `fd`, or start a worker for the judge's connection `fd` and send that
    judge a pidfd of it (the worker is on the judge's list first, so that it dies with the judge)."""
    if request.get("attach"):
        controls[socket.socket(fileno=fd)] = []
        return
    try:
        import_libraries(request.get("preload", ()))
        everyone = [pidfd for pidfds in controls.values() for pidfd in pidfds]
        started = _fork_worker(list(controls), fd, request, everyone)
    finally:
        os.close(fd)
    controls[control] = _alive(controls[control])
    if started is None:
        socket.send_fds(control, [b"{}"], [])
        return
    hello, pidfd = started
    controls[control].append(pidfd)
    socket.send_fds(control, [hello], [pidfd])


def _close(control: socket.socket, controls: dict):
    """A judge closed its control socket (or can no longer be answered): the workers it started are
    killed."""
    for pidfd in controls.pop(control, []):
        _kill(pidfd)
        os.close(pidfd)
    control.close()


def _alive(pidfds: list[int]) -> list[int]:
    """The pidfds whose process still runs (a pidfd becomes readable when its process ends); the
    others are closed."""
    poller = select.poll()
    for pidfd in pidfds:
        poller.register(pidfd, select.POLLIN)
    ended = {fd for fd, _ in poller.poll(0)}
    for pidfd in ended:
        os.close(pidfd)
    return [pidfd for pidfd in pidfds if pidfd not in ended]


def _kill(pidfd: int):
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _fork_worker(controls: list[socket.socket], fd: int, request: dict, workers: list[int]):
    """Start a worker for the judge's connection `fd`; return (hello, pidfd of the worker), or None
    when it could not be started."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    if os.fork() == 0:
        for control in controls:
            control.close()
        ours.close()
        for pidfd in workers:  # no worker may hold a handle on another student's worker
            os.close(pidfd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        try:
            start_worker(fd, request, theirs)
        finally:
            os._exit(70)
    theirs.close()
    ours.settimeout(20)  # within the judge's own wait (isolation.SPAWN_TIMEOUT), so it hears why
    try:
        hello, fds, _, _ = socket.recv_fds(ours, 1024, 1)
    except OSError:
        return None
    finally:
        ours.close()
    return (hello, fds[0]) if fds else None


def start_worker(fd: int, request: dict, back: socket.socket):
    """Enter fresh namespaces, fork the worker proper (PID 1 there), send the zygote a pidfd of it
    and the facts the judge needs to end it, and exit. This runs before any student code."""
    from graders.engine import sandbox

    connection = socket.socket(fileno=fd)
    os.setsid()
    namespaced = sandbox.enter_namespaces()
    release_read, release_write = os.pipe()
    child = os.fork()
    if child:
        os.close(release_read)
        pidfd = os.pidfd_open(child)
        hello = {"pid": child, "group": os.getpgid(0), "namespaced": namespaced}
        socket.send_fds(back, [json.dumps(hello).encode()], [pidfd])
        os.close(release_write)
        os._exit(0)
    back.close()
    os.close(release_write)
    os.read(release_read, 1)
    os.close(release_read)
    serve(connection, request, namespaced)


def serve(connection, request: dict, namespaced: bool):
    import torch

    from graders import probes
    from graders.engine import codec, loader, sandbox, tamper

    limits = sandbox.Limits(**request["limits"])
    layers = sandbox.confine(limits, request["hide"], namespaced)
    torch.set_num_threads(1)
    capture = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(capture, 1)
    os.dup2(capture, 2)
    sys.stdin = open(os.devnull)
    try:
        header, blobs = codec.read_message(connection, limit=codec.MAX_CODE + codec.MAX_HEADER)
        load = json.loads(header)
        ends = list(itertools.accumulate(load["sizes"]))
        chunks = [loader.Chunk(str(label), blobs[0][end - size:end].decode())
                  for label, size, end in zip(load["labels"], load["sizes"], ends)]
    except (EOFError, OSError, ValueError, KeyError, TypeError, IndexError):
        os._exit(0)
    # What the grading machinery looks like before any student code runs; the snapshot and the
    # function that compares with it are held here, in this frame's locals, out of the student's reach.
    baseline, changes = tamper.snapshot(), tamper.changes
    changes_code = changes.__code__

    def witnessed() -> list[str]:
        if changes.__code__ is not changes_code:
            return ["the grading's tamper check was replaced"]
        return changes(baseline)

    namespace, errors = loader.execute(chunks)
    codec.write_message(connection, json.dumps({"nonce": load["nonce"], "ready": True, "load_errors": errors,
                                                "layers": layers, "tampered": witnessed()}), [])
    while True:
        try:
            header, blobs = codec.read_message(connection)
            call = json.loads(header)
        except (EOFError, OSError, ValueError):
            os._exit(0)
        reply = {"nonce": call.get("nonce")}
        try:
            routine = probes.resolve(call["probe"])
            kwargs = codec.decode(call["kwargs"], blobs)
            result_header, result_blobs = codec.encode(routine(namespace, **kwargs))
            reply["result"] = result_header
        except BaseException as error:  # noqa: BLE001 - a probe that fails is reported, not fatal
            result_blobs = []
            reply["fault"] = loader.describe_exception(error)
        reply["tampered"] = witnessed()
        codec.write_message(connection, json.dumps(reply), result_blobs)


if __name__ == "__main__":
    # argv: the control socket's file descriptor, then "--owner PID": the process on whose behalf
    # this zygote grades, named on its command line (and its workers') so that a supervisor, or a
    # test, can tell the processes of one grading from another's; then, optionally, "--preload
    # MODULE,...": what the assignment's grading needs beyond PRELOAD.
    arguments = sys.argv[2:]
    zygote(int(sys.argv[1]), arguments[arguments.index("--preload") + 1].split(",") if "--preload" in arguments else ())
    os._exit(0)  # its workers are dead: tearing down an interpreter that holds torch would only delay the judge
