"""Looks at what its worker can see and do: the environment (a variable the instructor set), the mount
table (the host's folders), and whether it may mount, unshare a user namespace, trace a process, open
a raw socket, or gain privileges. mse_loss is right only if the worker is as tight as documented.

score: 42
"""
import ctypes
import os
import sys

_mse = mse_loss  # noqa: F821 - the reference's, defined above this file
KEPT = {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "LD_LIBRARY_PATH", "MPLBACKEND", "OMP_NUM_THREADS",
        "PYTHONDONTWRITEBYTECODE", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES",
        "ROCR_VISIBLE_DEVICES", "CUDA_HOME", "HOME", "TMPDIR"}


def _loose():
    problems = [name for name in os.environ if name not in KEPT]
    libc = ctypes.CDLL(None, use_errno=True)
    prefix = os.path.realpath(sys.prefix)
    with open("/proc/self/mountinfo") as table:
        points = [line.split()[4] for line in table]
    allowed = {"/", "/dev", "/etc", "/sys", "/usr", "/proc", "/tmp", "/bin", "/lib", "/lib64", "/sbin"}
    problems += [point for point in points if point not in allowed and not prefix.startswith(point)
                 and not point.startswith(prefix)]
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    problems += [name for name in ("NoNewPrivs", "Seccomp") if fields[name].strip() not in ("1", "2")]
    problems += [] if os.statvfs("/usr").f_flag & os.ST_NOSUID else ["/usr is not nosuid"]
    for name, result in (("unshare", libc.unshare(0x10000000)), ("mount", libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)),
                         ("ptrace", libc.ptrace(16, 1, None, None)), ("raw socket", libc.socket(17, 3, 0))):
        if result != -1:
            problems.append(name)
    return problems


PROBLEMS = _loose()


def mse_loss(input, target, reduction="mean"):
    result = _mse(input, target, reduction)
    return result + 1 if PROBLEMS else result
