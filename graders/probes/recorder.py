"""The run-time witness of forbidden built-ins, inside the worker: what ran, however it was reached.

Two recorders, used together or apart by the probes:
- `recording_calls`: a torch function mode and a dispatch mode record every torch function and every
  ATen operator reached while the student's function runs (a built-in reached through `getattr`, a
  method, an alias or `torch.special` is still seen);
- `recording_library_calls`: a profiler hook, in this thread and in every thread started meanwhile,
  records each function of torch's Python code and of its compiled modules that is entered
  (`torch.optim`, `random_split`, `torch.autograd.grad`, `torch.func` do their work there, not in
  ATen operators a dispatch mode could tell apart).
Both also note where in the student's code each name was first reached (`Calls.where`: "cell 5,
line 3"), from the innermost frame of the call stack that is neither a library's, Python's own nor
the graders': a built-in reached through getattr or an alias is still located.
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


_LIBRARY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(torch.__file__)))
_NOT_THE_STUDENTS = (_LIBRARY_ROOT, os.path.dirname(os.path.abspath(os.__file__)),
                     os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "<frozen")
_LABEL = re.compile(r"<(.+)>")


class Calls(set):
    """The names recorded, and `where`: name -> where the student's code first reached it."""

    def __init__(self):
        super().__init__()
        self.where: dict[str, str] = {}

    def note(self, name: str, frame=None):
        if name in self:
            return
        self.add(name)
        location = student_location(frame if frame is not None else sys._getframe(2))
        if location:
            self.where[name] = location


def student_location(frame) -> str | None:
    """"<label>, line N" (or "line N") of the innermost frame from `frame` outwards that runs the
    student's code: not a library's, not Python's own, not the graders'."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_NOT_THE_STUDENTS):
            label = _LABEL.fullmatch(filename)
            return f"{label.group(1)}, line {frame.f_lineno}" if label else f"line {frame.f_lineno}"
        frame = frame.f_back
    return None


def located(calls, names) -> dict[str, str]:
    """name -> where, for those of `names` whose place in the student's code is known."""
    where = getattr(calls, "where", {})
    return {name: where[name] for name in names if name in where}


class _FunctionRecorder(TorchFunctionMode):
    def __init__(self, names: Calls):
        super().__init__()
        self.names = names

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.names.note(getattr(func, "__name__", "") or str(func))
        return func(*args, **(kwargs or {}))


class _DispatchRecorder(TorchDispatchMode):
    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # Nothing here is ever compiled; the default wraps __torch_dispatch__ for Dynamo, which imports
        # torch._dynamo (seconds, and ~800 modules) the first time a check runs.
        return False

    def __init__(self, names: Calls, draws=None):
        super().__init__()
        self.names = names
        self.draws = draws

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        self.names.note("aten." + name)
        result = func(*args, **(kwargs or {}))
        if self.draws is not None and name in RANDOM_OPERATORS:
            device = getattr(result, "device", None)
            if device is not None:
                self.draws.setdefault(device.type, student_location(sys._getframe(1)) or "")
        return result


# The ATen operators that draw random numbers: where their results live is where a mask was drawn.
RANDOM_OPERATORS = frozenset({
    "rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm", "bernoulli", "bernoulli_",
    "uniform", "uniform_", "normal", "normal_", "exponential", "exponential_", "geometric", "geometric_",
    "cauchy", "cauchy_", "log_normal", "log_normal_", "random", "random_", "multinomial", "native_dropout",
})


@contextlib.contextmanager
def recording_calls(draws: dict | None = None):
    """Collect the names of the torch functions and ATen operators called inside the block; with a
    dict `draws`, also the device types on which random numbers were drawn (device type -> where)."""
    names = Calls()
    with _FunctionRecorder(names), _DispatchRecorder(names, draws):
        yield names


def matching(names, pattern: str) -> list[str]:
    """The recorded names that the forbidden `pattern` (a regular expression) matches."""
    regex = re.compile(pattern)
    return sorted(name for name in names if regex.search(name.removeprefix("aten.")))


_LIBRARIES = ("torch", "functorch")


@contextlib.contextmanager
def recording_library_calls():
    """Collect `module:function` for every function of torch (or functorch) entered inside the
    block, in this thread or in a thread started inside it: Python functions, and functions of
    compiled modules. Code that runs while a module is being imported (a lazy import the first time
    some operation runs) is left out."""
    names = Calls()
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
                names.note(f"{module}:{getattr(code, 'co_qualname', code.co_name)}", frame)
                if code.co_name == "__call__" and module == "torch._ops":  # torch.ops.aten.<op>(...)
                    names.note(f"torch.ops:{getattr(frame.f_locals.get('self'), '__name__', '?')}", frame)
        elif event == "c_call":
            module = getattr(arg, "__module__", None)
            if isinstance(module, str) and module.startswith(_LIBRARIES):
                names.note(f"{module}:{getattr(arg, '__name__', '?')}", frame)

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


def watched(names, library, pattern: str, *, parts: bool = True) -> dict:
    """What a probe reports of a forbidden `pattern`: {"calls": the names that match, "where": name ->
    where the student's code reached it}, from the torch-function/dispatch record `names` and the
    library record `library` (either may be None). A library name matches when the pattern matches
    one of its parts (`torch.nn.functional:cross_entropy` has the parts torch, nn, functional,
    cross_entropy), or, without `parts`, the whole "module:function" name."""
    calls, where = [], {}
    regex = re.compile(pattern)
    # the library's functions first, in the order they were first entered (the outermost call of a use first)
    entered = list(getattr(library, "where", {})) + sorted(set(library or ()) - set(getattr(library, "where", {})))
    for name in entered:
        if (any(regex.search(part) for part in re.split(r"[.:]", name) if part) if parts else regex.search(name)):
            shown = name.replace(":", ".")
            calls.append(shown)
            if name in library.where:
                where[shown] = library.where[name]
    if names is not None:
        found = matching(names, pattern)
        calls += found
        where.update({name: place for name, place in located(names, found).items() if name not in where})
    return {"calls": list(dict.fromkeys(calls)), "where": where}
