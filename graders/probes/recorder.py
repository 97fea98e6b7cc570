"""The run-time witness of forbidden built-ins, inside the worker.

A torch function mode and a dispatch mode record every torch function and every ATen operator
reached while the student's function runs (so a built-in reached through `getattr`, a method, an
alias or `torch.special` is still seen). The judge's other witness, a scan of the source, is
`graders.checks.source_scan`.
"""

from __future__ import annotations

import contextlib
import re

from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode


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
