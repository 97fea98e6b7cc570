"""Confining a worker process before it runs student code (Linux; each layer where available).

Layers, applied by `confine` in the worker process, in this order:
- namespaces: new mount, PID, network and IPC namespaces (the worker is PID 1 of its own PID
  namespace, so when it dies the kernel kills everything it started, `setsid` daemons included);
- file system: every mount read-only, the reference solutions and the instructor's folders hidden
  under empty mounts, a small private tmpfs as the only writable place (the scratch folder);
- identity: an unprivileged user id of its own, without supplementary groups;
- resource limits: memory (RLIMIT_DATA), CPU time, processes and threads, file size, open files,
  no core dumps.
A layer that the machine refuses (another OS, no privileges) is skipped and reported by `explain`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import os
import random
import resource
import signal
import sys

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x08000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
NOBODY_GROUP = 65534


@dataclasses.dataclass(frozen=True)
class Limits:
    call_timeout: float = 10.0  # seconds of wall clock per probe call
    load_timeout: float = 60.0  # seconds to load the submission (a notebook runs its cells)
    budget: float = 300.0  # seconds of wall clock for all of one submission's calls
    memory_mb: int = 3072
    cpu_seconds: int = 600
    processes: int = 64  # processes and threads of the worker's user
    file_size_mb: int = 16
    open_files: int = 256
    scratch_mb: int = 64


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _check(result: int, what: str):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def enter_namespaces() -> bool:
    """Unshare mount, PID, network and IPC namespaces; the caller's next child is PID 1 there."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        _check(_libc().unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
    except (OSError, AttributeError):
        return False
    return True


def become_subreaper():
    """Make orphaned descendants this process's children (Linux), so they are reaped here."""
    if sys.platform.startswith("linux"):
        _libc().prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def confine(limits: Limits, hide: list[str], in_namespaces: bool) -> list[str]:
    """Apply every layer available to this process (PID 1 of fresh namespaces when
    `in_namespaces`); return the names of the layers that are active."""
    active = []
    if in_namespaces:
        active.append("namespaces (mount, pid, network, ipc)")
        try:
            _read_only_view(hide, limits.scratch_mb)
            active.append("read-only file system, hidden reference files, private scratch")
        except OSError as error:
            active.append(f"(file system view unavailable: {error})")
    os.chdir(_scratch())
    os.environ.update({"HOME": _scratch(), "TMPDIR": _scratch()})
    if os.geteuid() == 0:
        uid = random.randrange(200_000, 260_000)
        os.setgroups([])
        os.setgid(NOBODY_GROUP)
        os.setuid(uid)
        active.append(f"unprivileged user {uid}")
    _set_limits(limits)
    active.append("limits on memory, cpu, processes, file size, open files")
    return active


def _scratch() -> str:
    return "/tmp"


# Top-level folders a worker keeps: the system, and (see `_python_roots`) whatever holds Python.
SYSTEM_FOLDERS = {"bin", "boot", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "run", "sbin", "sys",
                  "tmp", "usr", "var"}


def _python_roots() -> set[str]:
    """The top-level folders that hold this Python and its installed packages (not the current folder,
    nor a course checkout that an editable install points to)."""
    import sysconfig

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, *sysconfig.get_paths().values()}
    return {os.path.realpath(path).split(os.sep)[1] for path in paths if os.path.realpath(path) != os.sep}


def _read_only_view(hide: list[str], scratch_mb: int):
    libc = _libc()
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
    _check(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "mount /proc")
    # Every other top-level folder (home folders, /work, /opt, /mnt, other checkouts of the course with
    # their solutions) disappears: the worker has preloaded what it runs.
    keep = SYSTEM_FOLDERS | _python_roots()
    for name in sorted(os.listdir("/")):
        path = os.path.join("/", name)
        if name not in keep and os.path.isdir(path) and not os.path.islink(path):
            hide = [*hide, path]
    for path in hide:
        if os.path.isdir(path):
            _check(libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                              b"size=4k,mode=0"), f"hide {path}")
    with open("/proc/self/mountinfo") as table:
        points = [line.split()[4].replace("\\040", " ") for line in table]
    for point in points:
        libc.mount(None, point.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
    _check(libc.mount(b"tmpfs", _scratch().encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                      f"size={scratch_mb}m,mode=1777".encode()), "mount scratch")


def _set_limits(limits: Limits):
    mib = 1024 * 1024
    wanted = {
        resource.RLIMIT_DATA: limits.memory_mb * mib,
        resource.RLIMIT_CPU: limits.cpu_seconds,
        resource.RLIMIT_NPROC: limits.processes,
        resource.RLIMIT_FSIZE: limits.file_size_mb * mib,
        resource.RLIMIT_NOFILE: limits.open_files,
        resource.RLIMIT_CORE: 0,
    }
    for which, value in wanted.items():
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass
    # An output flood then fails the write instead of killing the worker.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
