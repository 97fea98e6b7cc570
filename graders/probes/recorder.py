"""The run-time witness of forbidden built-ins, inside the worker: what ran, however it was reached.

Two recorders, used together or apart by the probes:
- `recording_calls`: a torch function mode and a dispatch mode record every torch function and every
  ATen operator reached while the student's function runs (a built-in reached through `getattr`, a
  method, an alias or `torch.special` is still seen);
- `recording_library_calls`: a profiler hook, in this thread and in every thread started meanwhile,
  records each function of torch's Python code and of its compiled modules that is entered
  (`torch.optim`, `random_split`, `torch.autograd.grad`, `torch.func` do their work there, not in
  ATen operators a dispatch mode could tell apart).
The judge's other witness, a scan of the source, is `graders.checks.source_scan`.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading

import torch

from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from graders.engine import tamper


class _FunctionRecorder(TorchFunctionMode):
    def __init__(self, names: set):
        super().__init__()
        self.names = names

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.names.add(getattr(func, "__name__", "") or str(func))
        return func(*args, **(kwargs or {}))


class _DispatchRecorder(TorchDispatchMode):
    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # Nothing here is ever compiled; the default wraps __torch_dispatch__ for Dynamo, which imports
        # torch._dynamo (seconds, and ~800 modules) the first time a check runs.
        return False

    def __init__(self, names: set):
        super().__init__()
        self.names = names

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.names.add("aten." + func.overloadpacket.__name__)
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def recording_calls():
    """Collect the names of the torch functions and ATen operators called inside the block."""
    names: set[str] = set()
    with _FunctionRecorder(names), _DispatchRecorder(names):
        yield names


def matching(names, pattern: str) -> list[str]:
    """The recorded names that the forbidden `pattern` (a regular expression) matches."""
    regex = re.compile(pattern)
    return sorted(name for name in names if regex.search(name.removeprefix("aten.")))


_LIBRARY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(torch.__file__)))
_LIBRARIES = ("torch", "functorch")


@contextlib.contextmanager
def recording_library_calls():
    """Collect `module:function` for every function of torch (or functorch) entered inside the
    block, in this thread or in a thread started inside it: Python functions, and functions of
    compiled modules. Code that runs while a module is being imported (a lazy import the first time
    some operation runs) is left out."""
    names: set[str] = set()
    importing = [0]
    modules: dict = {}

    def profile(frame, event, arg):
        code = frame.f_code
        if code.co_name == "_find_and_load" and code.co_filename.startswith("<frozen importlib"):
            importing[0] += 1 if event == "call" else -1 if event == "return" else 0
        elif importing[0] > 0:
            return
        elif event == "call" and code.co_filename.startswith(_LIBRARY_ROOT):
            module = modules.get(code.co_filename)
            if module is None:
                module = os.path.relpath(code.co_filename, _LIBRARY_ROOT).removesuffix(".py")
                module = modules[code.co_filename] = module.replace(os.sep, ".").removesuffix(".__init__")
            if module.startswith(_LIBRARIES):
                names.add(f"{module}:{getattr(code, 'co_qualname', code.co_name)}")
        elif event == "c_call":
            module = getattr(arg, "__module__", None)
            if isinstance(module, str) and module.startswith(_LIBRARIES):
                names.add(f"{module}:{getattr(arg, '__name__', '?')}")

    previous, previous_threads = sys.getprofile(), threading.getprofile()
    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        yield names
    finally:
        if sys.getprofile() is not profile:  # the student's code blinded this witness
            tamper.note("the profiler hook that records library calls was removed or replaced during a call")
        sys.setprofile(previous)
        threading.setprofile(previous_threads)


def library_matching(names, pattern: str) -> list[str]:
    """The recorded library calls that match `pattern`, shown as dotted names."""
    regex = re.compile(pattern)
    return sorted({name.replace(":", ".") for name in names if regex.search(name)})
