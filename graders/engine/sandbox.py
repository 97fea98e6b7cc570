"""Confining a worker process before it runs student code (Linux; each layer where available).

Layers, applied by `confine` in the worker process, in this order:
- namespaces: new mount, PID, network and IPC namespaces (the worker is PID 1 of its own PID
  namespace, so when it dies the kernel kills everything it started, `setsid` daemons included);
- file system: a root of its own (`pivot_root` onto a fresh tmpfs) holding only the system's folders
  and the Python installation's own folders, bound read-only and `nosuid` (and `nodev` but for /dev);
  nothing else of the host is mounted, so the mount table names nothing else either. The folders
  leading to the Python installation are made afresh with mode 0755, so the worker's user can reach
  it whatever the modes of the host's folders around it (a pyenv under /root, a venv in a home of
  mode 750). The reference solutions and the instructor's folders are hidden under empty mounts
  should they lie inside one of those folders. A small private tmpfs is /tmp, the working folder and
  the only writable place;
- environment: only the variables a worker needs (`KEPT_ENVIRONMENT`), HOME and TMPDIR in the scratch;
- identity: an unprivileged user id of its own, without supplementary groups;
- no new privileges (`PR_SET_NO_NEW_PRIVS`): nothing it executes gains privileges;
- a seccomp filter (x86_64) that denies what grading never needs: ptrace, mount, unshare and new
  namespaces, kernel keyrings, raw and packet sockets, and a few more (see `DENIED_SYSCALLS`);
- resource limits: memory (RLIMIT_DATA), CPU time, processes and threads, file size, open files,
  no core dumps.
A layer that the machine refuses (another OS, no privileges) is skipped and reported by `explain`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import functools
import os
import platform
import random
import resource
import signal
import sys

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x08000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 36, 38, 22, 2
SYS_PIVOT_ROOT_X86_64 = 155
NOBODY_GROUP = 65534


@dataclasses.dataclass(frozen=True)
class Limits:
    call_timeout: float = 10.0  # seconds of wall clock per probe call
    load_timeout: float = 60.0  # seconds to load the submission (a notebook runs its cells)
    budget: float = 300.0  # seconds of wall clock for everything done for one submission
    memory_mb: int = 3072
    cpu_seconds: int = 600
    processes: int = 64  # processes and threads of the worker's user
    file_size_mb: int = 16
    open_files: int = 256
    scratch_mb: int = 64


@functools.cache
def libc():
    """The C library, found once: `find_library` runs ldconfig in a subprocess at every call, which the
    zygote does once for all its workers (see `worker.preload`)."""
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
        _check(libc().unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
    except (OSError, AttributeError):
        return False
    return True


def become_subreaper():
    """Make orphaned descendants this process's children (Linux), so they are reaped here."""
    if sys.platform.startswith("linux"):
        libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


# What a worker's environment keeps of the zygote's: the search path for programs, the locale, the
# library path (CUDA and conda installs need it) and the variables that choose GPUs. Nothing an
# instructor sets (a secret seed, a token) reaches student code.
KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "LD_LIBRARY_PATH", "MPLBACKEND", "OMP_NUM_THREADS",
                    "PYTHONDONTWRITEBYTECODE", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES",
                    "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "CUDA_HOME")


def scrubbed_environment(environment) -> dict[str, str]:
    return {name: environment[name] for name in KEPT_ENVIRONMENT if name in environment}


def confine(limits: Limits, hide: list[str], in_namespaces: bool) -> list[str]:
    """Apply every layer available to this process (PID 1 of fresh namespaces when
    `in_namespaces`); return the names of the layers that are active."""
    active = []
    if in_namespaces:
        active.append("namespaces (mount, pid, network, ipc)")
        try:
            _private_root(hide, limits.scratch_mb)
            active.append("a root of its own: system and Python folders only, read-only, nosuid; "
                          "private scratch /tmp")
        except OSError as error:
            active.append(f"(file system view unavailable: {error})")
    os.chdir(_scratch())
    kept = scrubbed_environment(os.environ)
    os.environ.clear()
    os.environ.update({**kept, "HOME": _scratch(), "TMPDIR": _scratch()})
    active.append(f"scrubbed environment (only {', '.join(sorted(kept))}, HOME, TMPDIR)")
    if os.geteuid() == 0:
        uid = random.randrange(200_000, 260_000)
        os.setgroups([])
        os.setgid(NOBODY_GROUP)
        os.setuid(uid)
        active.append(f"unprivileged user {uid}")
    _set_limits(limits)
    active.append("limits on memory, cpu, processes, file size, open files")
    if sys.platform.startswith("linux") and libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0:
        active.append("no_new_privs")
    active.append(_install_seccomp())
    return active


def _scratch() -> str:
    return "/tmp"


# Top-level entries of the host's root that a worker's root keeps: the system's folders (and the
# links such as /bin -> usr/bin that stand for them). /dev and /sys are bound without what is mounted
# beneath them (the host's /dev/shm, its cgroups).
SYSTEM_FOLDERS = ("bin", "etc", "lib", "lib32", "lib64", "libx32", "sbin", "usr")
FLAT_FOLDERS = ("dev", "sys")


def python_folders() -> list[str]:
    """The folders of this Python installation and its packages, outermost only: its prefixes, the
    standard library and site-packages (system and user). Not the current folder, PYTHONPATH or a
    course checkout that an editable install points to."""
    import site
    import sysconfig

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, *sysconfig.get_paths().values(),
             *site.getsitepackages(), site.getusersitepackages()}
    real = sorted({os.path.realpath(path) for path in paths if os.path.isdir(path)})
    outermost = []
    for path in real:
        top = path.split(os.sep)[1] if path != os.sep else ""
        if top in SYSTEM_FOLDERS or any(path.startswith(kept + os.sep) for kept in outermost):
            continue
        outermost.append(path)
    return outermost


def _private_root(hide: list[str], scratch_mb: int):
    clib = libc()

    def mount(source, target, kind, flags, data=None, what=""):
        _check(clib.mount(source and source.encode(), target.encode(), kind and kind.encode(), flags,
                          data and data.encode()), what or f"mount {target}")

    mount(None, "/", None, MS_REC | MS_PRIVATE, what="make mounts private")
    new = _scratch()  # the staging point: the host's /tmp, covered in this mount namespace only
    mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755", "mount the new root")
    for name in sorted(os.listdir("/")):
        path = os.path.join("/", name)
        if name in SYSTEM_FOLDERS and os.path.islink(path):
            os.symlink(os.readlink(path), new + path)
        elif name in SYSTEM_FOLDERS + FLAT_FOLDERS and os.path.isdir(path):
            os.mkdir(new + path, 0o755)
            mount(path, new + path, None, MS_BIND | (0 if name in FLAT_FOLDERS else MS_REC))
    for folder in python_folders():
        _make_reachable(new, folder)
        mount(folder, new + folder, None, MS_BIND | MS_REC)
    for path in hide:  # a private folder inside one of the folders bound above
        inside = new + os.path.realpath(path)
        if os.path.isdir(inside):
            mount("tmpfs", inside, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0", f"hide {path}")
    for name in ("proc", "tmp", ".old"):
        os.mkdir(os.path.join(new, name), 0o755)
    mount("tmpfs", new + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={scratch_mb}m,mode=1777", "mount scratch")
    if platform.machine() != "x86_64" or clib.syscall(SYS_PIVOT_ROOT_X86_64, new.encode(), (new + "/.old").encode()):
        raise OSError(ctypes.get_errno(), "pivot_root: " + os.strerror(ctypes.get_errno()))
    os.chdir("/")
    _check(clib.umount2(b"/.old", MNT_DETACH), "detach the host's root")
    os.rmdir("/.old")
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    with open("/proc/self/mountinfo") as table:
        points = [line.split()[4].replace("\\040", " ") for line in table]
    for point in points:
        if point == "/tmp":
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID
        flags |= MS_NOEXEC if point in ("/proc", "/sys", "/dev") or point.startswith(("/proc/", "/dev/")) else 0
        flags |= 0 if point == "/dev" else MS_NODEV  # /dev/null and the GPUs are device files
        mount(None, point, None, flags, what=f"make {point} read-only")


def _make_reachable(root: str, folder: str):
    """Create `folder`'s parents under `root` as folders of mode 0755 (whatever their modes on the
    host) and `folder` itself as the mount point."""
    path = root
    for part in folder.strip(os.sep).split(os.sep):
        path = os.path.join(path, part)
        if not os.path.isdir(path):
            os.mkdir(path)
            os.chmod(path, 0o755)  # mkdir's mode is cut by the umask


# ---------------------------------------------------------------- the seccomp filter (x86_64)

# System calls grading never needs, by x86_64 number: they fail with EPERM.
DENIED_SYSCALLS = {
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438, "kcmp": 312,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    "unshare": 272, "setns": 308,
    "add_key": 248, "request_key": 249, "keyctl": 250,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "open_by_handle_at": 304,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,  # its operations bypass seccomp
    "init_module": 175, "finit_module": 313, "delete_module": 176, "kexec_load": 246, "kexec_file_load": 320,
    "swapon": 167, "swapoff": 168, "reboot": 169, "acct": 163,
}
SYS_CLONE, SYS_CLONE3, SYS_SOCKET = 56, 435, 41
NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
AF_PACKET, SOCK_RAW, SOCK_TYPE_MASK = 17, 3, 0xF
AUDIT_ARCH_X86_64, X32_SYSCALL_BIT = 0xC000003E, 0x40000000
EPERM, ENOSYS = 1, 38
# Classic BPF: load a word of struct seccomp_data (nr at 0, arch at 4, args[i] at 16 + 8 i, low half
# first on little-endian x86_64), compare, jump, return.
LD_ABS, JEQ, JGE, JSET, AND, RET = 0x20, 0x15, 0x35, 0x45, 0x54, 0x06
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000


def _seccomp_program() -> list[tuple[int, int, int, int]]:
    """The filter as (code, jump if true, jump if false, k), assembled from symbolic jumps."""
    deny, allow, enosys = "deny", "allow", "enosys"
    program = [
        (LD_ABS, None, None, 4), (JEQ, None, deny, AUDIT_ARCH_X86_64),  # another ABI (int 0x80): denied
        (LD_ABS, None, None, 0), (JGE, deny, None, X32_SYSCALL_BIT),  # the x32 ABI: denied
        *[(JEQ, deny, None, number) for number in DENIED_SYSCALLS.values()],
        # clone3 passes its flags in memory a filter cannot read: ENOSYS makes glibc fall back to clone.
        (JEQ, enosys, None, SYS_CLONE3),
        (JEQ, None, "socket?", SYS_CLONE),
        (LD_ABS, None, None, 16), (JSET, deny, allow, NAMESPACE_FLAGS),
        ("socket?",),
        (JEQ, None, allow, SYS_SOCKET),
        (LD_ABS, None, None, 16), (JEQ, deny, None, AF_PACKET),
        (LD_ABS, None, None, 24), (AND, None, None, SOCK_TYPE_MASK), (JEQ, deny, allow, SOCK_RAW),
        (allow,), (RET, None, None, RET_ALLOW),
        (deny,), (RET, None, None, RET_ERRNO | EPERM),
        (enosys,), (RET, None, None, RET_ERRNO | ENOSYS),
    ]
    labels, position = {}, 0
    for entry in program:
        if len(entry) == 1:
            labels[entry[0]] = position
        else:
            position += 1
    assembled = []
    for entry in program:
        if len(entry) == 1:
            continue
        code, true, false, k = entry
        here = len(assembled) + 1
        jump = lambda target: 0 if target is None else labels[target] - here  # noqa: E731
        assembled.append((code, jump(true), jump(false), k))
    return assembled


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _install_seccomp() -> str:
    """Install the filter in this thread; the worker is single-threaded here (a forked child keeps
    only the forking thread), and every thread it starts later inherits the filter."""
    if not sys.platform.startswith("linux") or platform.machine() != "x86_64":
        return f"(seccomp filter unavailable: written for Linux on x86_64, this is {platform.machine()})"
    program = _seccomp_program()
    filters = (_SockFilter * len(program))(*[_SockFilter(*instruction) for instruction in program])
    fprog = _SockFprog(len(program), filters)
    if libc().prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        return f"(seccomp filter unavailable: {os.strerror(ctypes.get_errno())})"
    return "seccomp filter: EPERM for " + ", ".join(sorted({"ptrace", "mount", "unshare", "setns", "keyrings",
                                                          "raw sockets", "new namespaces", "bpf", "io_uring"}))


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
