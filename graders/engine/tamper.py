"""Evidence that a submission tampered with the grading machinery, from two witnesses.

- In the judge, `evidence_in_source`: a scan of the submission's code (which the student cannot
  rewrite once handed in) for what grading never needs and tampering does: walking the stack or the
  garbage collector's objects to the probes' frames and data, profiler and trace hooks, the grader
  modules, the probe channel (sockets, writes to descriptors other than stdout and stderr), Python's
  C API through ctypes, and code built from strings (exec, eval, compile, __import__), which would hide
  any of these from the scan. (A library reached by a computed name, `importlib.import_module("torch."
  + "optim")`, is no evidence: the run-time witness of forbidden built-ins sees what it calls.)
- In the worker, `snapshot` before any student code runs and `changes` after loading and after every
  call: grader modules and their functions (their code, defaults), the probe registry, builtins,
  the profiler and trace hooks, torch's function and dispatch mode stacks. This witness runs where
  the student's code runs, so a determined submission can blind it; the scan and the channel's
  nonces (`graders.engine.isolation`) are the judge's own.

Either witness's evidence scores the whole submission zero and flags it for review. Patching torch,
numpy or pytest is not evidence: it is an honest mistake as often as not, and the judge computes its
references and comparisons with functions bound before any submission is loaded.
"""

from __future__ import annotations

import ast
import builtins
import sys
import threading
import types

import torch

# ---------------------------------------------------------------- the worker's witness

_WATCHED = "graders"
_EXEMPT = {"graders.notebook"}  # the practice `grade` stand-in, which notebooks import and patch
_noted: list[str] = []
_MISSING = object()


def note(evidence: str):
    """Record evidence met while a probe runs (e.g. the recorder finding its profiler hook gone)."""
    _noted.append(evidence)


def _grader_modules() -> dict[str, types.ModuleType]:
    return {name: module for name, module in list(sys.modules.items())
            if (name == _WATCHED or name.startswith(_WATCHED + ".")) and name not in _EXEMPT
            and isinstance(module, types.ModuleType)}


def _functions_of(module) -> list[tuple[str, types.FunctionType]]:
    """The functions a grader module defines, and the methods of the classes it defines."""
    found = []
    for name, value in list(vars(module).items()):
        if getattr(value, "__module__", None) != module.__name__:
            continue
        if isinstance(value, types.FunctionType):
            found.append((name, value))
        elif isinstance(value, type):
            found += [(f"{name}.{key}", item) for key, item in vars(value).items()
                      if isinstance(item, types.FunctionType)]
    return found


def _hooks() -> tuple:
    return (sys.getprofile(), sys.gettrace(), threading._profile_hook, threading._trace_hook,
            torch._C._len_torch_function_stack(), torch._C._len_torch_dispatch_stack())


def snapshot() -> tuple:
    """What the grading machinery is before student code runs: immutable, held by the caller."""
    modules = tuple((name, module, tuple(vars(module).items())) for name, module in sorted(_grader_modules().items()))
    functions = tuple((f"{module.__name__}.{name}", function, function.__code__, function.__defaults__,
                       function.__kwdefaults__)
                      for _, module, _ in modules for name, function in _functions_of(module))
    return modules, functions, tuple(vars(builtins).items()), _hooks()


def changes(baseline: tuple) -> list[str]:
    """One line per difference from `baseline` (at most ten), and the evidence noted since the last call."""
    modules, functions, builtin_items, hooks = baseline
    found = list(_noted)
    _noted.clear()
    for name, module, items in modules:
        if sys.modules.get(name) is not module:
            found.append(f"the grader module {name} was replaced")
            continue
        current = vars(module)
        found += [f"{name}.{key} was replaced" for key, value in items if current.get(key, _MISSING) is not value]
    for name, function, code, defaults, kwdefaults in functions:
        if (function.__code__, function.__defaults__, function.__kwdefaults__) != (code, defaults, kwdefaults):
            found.append(f"the code of {name} was replaced")
    current = vars(builtins)
    found += [f"builtins.{key} was replaced" for key, value in builtin_items if current.get(key, _MISSING) is not value]
    names = ("sys.setprofile", "sys.settrace", "threading.setprofile", "threading.settrace",
             "a torch function mode left active", "a torch dispatch mode left active")
    # Hooks are compared by identity (a hook object may lie about equality), stack depths as numbers.
    found += [f"{name} was used" for name, before, now in zip(names, hooks, _hooks())
              if before is not now and not (type(before) is type(now) is int and before == now)]
    return found[:10]


# ---------------------------------------------------------------- the judge's witness

# Attributes that reach frames, code objects and the globals behind them.
FRAME_ATTRIBUTES = {"f_back", "f_locals", "f_globals", "f_builtins", "f_code", "f_trace", "tb_frame", "gi_frame",
                    "cr_frame", "ag_frame", "__code__", "__globals__"}
# Library functions, as the imports resolve them, with what using them is evidence of.
HOOKS = {
    "sys._getframe": "the stack", "sys._current_frames": "the stack", "sys.setprofile": "the profiler hook",
    "sys.settrace": "the trace hook", "sys.monitoring": "the monitoring hooks",
    "threading.setprofile": "the profiler hook", "threading.settrace": "the trace hook",
    "threading.setprofile_all_threads": "the profiler hook", "threading.settrace_all_threads": "the trace hook",
    "inspect.currentframe": "the stack", "inspect.stack": "the stack", "inspect.trace": "the stack",
    "inspect.getouterframes": "the stack", "inspect.getinnerframes": "the stack",
    "gc.get_objects": "the grader's objects", "gc.get_referrers": "the grader's objects",
    "gc.get_referents": "the grader's objects",
    "ctypes.pythonapi": "Python's C API", "ctypes.py_object": "Python's C API", "ctypes.memmove": "raw memory",
    "ctypes.memset": "raw memory", "ctypes.string_at": "raw memory", "ctypes.cast": "raw memory",
    "os.fdopen": "a file descriptor it did not open", "socket": "the probe channel", "_socket": "the probe channel",
    "builtins": "the built-in functions",
}
CODE_FROM_STRINGS = {"exec", "eval", "compile", "__import__", "__builtins__"}
WRITES = {"os.write", "os.writev", "os.pwrite", "os.sendfile"}
CHANNEL_STRINGS = ("/proc/self/fd", "/proc/self/mem", "/proc/1/")
# The hooks' own names, as a string would spell them for getattr (but not words as common as these).
_HOOK_NAMES = {name.rpartition(".")[2] for name in HOOKS} - {"cast", "stack", "trace", "socket", "monitoring"}


def evidence_in_source(chunks) -> list[str]:
    """One line per sign of tampering in the submission's code (`chunks`: (label, source) pairs), at
    most ten. Code that does not parse is skipped: it cannot run either."""
    found = []
    for label, source in chunks:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        aliases = _aliases(tree)
        own = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        for node in ast.walk(tree):
            what = _suspicious(node, aliases, own)
            if what:
                found.append(f"{label}, line {getattr(node, 'lineno', '?')}: {what}")
                if len(found) >= 10:
                    return found
    return found


def _aliases(tree) -> dict[str, str]:
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.partition(".")[0]] = alias.name if alias.asname else \
                    alias.name.partition(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node, aliases) -> str | None:
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    return None


def _grader_module(name: str) -> bool:
    return (name == _WATCHED or name.startswith(_WATCHED + ".")) and not any(
        name == exempt or name.startswith(exempt + ".") for exempt in _EXEMPT)


def _suspicious(node, aliases, own) -> str | None:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            names = [f"{node.module}.{alias.name}" for alias in node.names] if node.module and not node.level else []
        for name in names:
            if _grader_module(name):
                return f"imports the grader module {name}"
            if name.partition(".")[0] in HOOKS:
                return f"imports {name} ({HOOKS[name.partition('.')[0]]})"
    elif isinstance(node, ast.Attribute) and node.attr in FRAME_ATTRIBUTES:
        return f"uses .{node.attr} (frames and code of the running program)"
    elif isinstance(node, (ast.Attribute, ast.Name)) and isinstance(node.ctx, ast.Load):
        if isinstance(node, ast.Name) and node.id in own:
            return None
        name = _dotted(node, aliases)
        if name in HOOKS:
            return f"uses {name} ({HOOKS[name]})"
        if isinstance(node, ast.Name) and node.id in CODE_FROM_STRINGS:
            return f"uses {node.id} (code built from strings hides what it does)"
    elif isinstance(node, ast.Call) and _dotted(node.func, aliases) in WRITES and node.args:
        target = node.args[0]
        if not (isinstance(target, ast.Constant) and target.value in (1, 2)):
            return f"uses {_dotted(node.func, aliases)} on a descriptor other than stdout or stderr (the probe channel)"
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        if text in FRAME_ATTRIBUTES or text in _HOOK_NAMES or _grader_module(text) \
                or any(marker in text for marker in CHANNEL_STRINGS):
            return f"names {text[:40]!r} in a string (reaching the grading machinery by name)"
    return None
