"""Guarding the student's kernel while the practice `grade` runs there (graders/notebook.py).

Three guards, all undone when grading ends: the functions, classes and methods of the libraries the
graders use are put back as they were imported (`Library`); warnings and everything written to
stderr are captured (`captured_stderr`: nbgrader would score a cell with stderr output zero); and
pytest's settings that a student's cell can put into the environment are set aside
(`pytest_environment`).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import warnings

import torch

_PACKAGES = {"torch", "numpy", "graders", "pytest", "_pytest", "pluggy", "builtins", "math", "operator",
             "functools", "itertools", "re", "json", "ast", "zlib", "dataclasses", "contextlib", "traceback",
             "types", "copy", "inspect", "importlib", "collections", "io", "os", "tempfile", "random"}
# The part restored after each call of the student's code: what the judge compares and
# computes references with. (The rest is restored at the start of every `grade`.)
_HOT_MODULES = {"torch", "torch._tensor", "torch.functional", "torch.nn.functional", "torch.testing",
                "torch.testing._comparison", "torch.autograd", "torch.autograd.grad_mode", "torch._C",
                "torch._C._nn", "torch._C._VariableFunctions", "torch.overrides", "numpy", "builtins", "math",
                "importlib", "operator"}
_HOT_PACKAGES = {"graders", "pytest", "_pytest", "pluggy"}
_PYTEST_PACKAGES = {"pytest", "_pytest", "pluggy"}
_MISSING = object()
_HEAP_TYPE, _IMMUTABLE_TYPE = 1 << 9, 1 << 8


class Library:
    """The functions, classes and methods of the modules the graders use, as they were at import.

    Only callables (and descriptors) are compared and restored: module-level data such as flags
    and caches legitimately changes as the library runs, functions do not. A callable added later
    is taken away for as long as grading runs: in a class it would shadow an inherited method
    (`torch.Tensor.__eq__`), in a module a built-in (`isinstance`).
    """

    def __init__(self):
        self.entries = []  # (owner, namespace, keys, values, every key at import or None, hot)
        self.modules = {}
        seen = set()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, module in list(sys.modules.items()):
                if module is None or name.partition(".")[0] not in _PACKAGES:
                    continue
                try:
                    namespace = vars(module)
                except TypeError:
                    continue
                self.modules[name] = module
                hot = name in _HOT_MODULES or name.partition(".")[0] in _HOT_PACKAGES
                # pytest adds methods and properties to its own classes for each session (legacypath's
                # Node.fspath, ...): there, only what existed at import is compared.
                strict = name.partition(".")[0] not in _PYTEST_PACKAGES
                self._add(module, namespace, hot, strict)
                for value in list(namespace.values()):
                    if (isinstance(value, type) and id(value) not in seen
                            and getattr(value, "__module__", None) == name
                            and value.__flags__ & _HEAP_TYPE and not value.__flags__ & _IMMUTABLE_TYPE):
                        seen.add(id(value))
                        self._add(value, value.__dict__, hot or value is torch.Tensor, strict)

    def _add(self, owner, namespace, hot, strict):
        kept = {key: value for key, value in namespace.items() if _is_code(value)}
        every_key = frozenset(namespace) if strict else None
        self.entries.append((owner, namespace, tuple(kept), tuple(kept.values()), every_key, hot))

    def restore(self, *, hot_only=False) -> list:
        """Put back every entry that differs from the snapshot; return how to undo that."""
        undo = []
        for owner, namespace, keys, values, every_key, hot in self.entries:
            if hot_only and not hot:
                continue
            get = namespace.get
            for key, value in zip(keys, values):
                current = get(key, _MISSING)
                if current is not value:
                    undo.append((owner, key, current))
                    with contextlib.suppress(AttributeError, TypeError):
                        setattr(owner, key, value)
            for key in (namespace.keys() - every_key if every_key is not None else ()):
                current = get(key, _MISSING)
                if _is_code(current):
                    undo.append((owner, key, current))
                    with contextlib.suppress(AttributeError, TypeError):
                        delattr(owner, key)
        modules = sys.modules
        for name, module in self.modules.items():
            current = modules.get(name, _MISSING)
            if current is not module:
                undo.append((modules, name, current))
                modules[name] = module
        return undo

    @staticmethod
    def reinstate(undo: list):
        """Put the student's replacements back (the inverse of `restore`)."""
        for owner, key, value in reversed(undo):
            with contextlib.suppress(AttributeError, TypeError, KeyError):
                if owner is sys.modules:
                    if value is _MISSING:
                        del sys.modules[key]
                    else:
                        sys.modules[key] = value
                elif value is _MISSING:
                    delattr(owner, key)
                else:
                    setattr(owner, key, value)


def _is_code(value) -> bool:
    return callable(value) or isinstance(value, (classmethod, staticmethod, property))


class Noise:
    def __init__(self):
        self.warnings: list[str] = []
        self.stderr = ""

    def summary(self) -> str:
        lines = []
        unique = list(dict.fromkeys(self.warnings))
        if unique:
            lines += ["", f"Warnings while grading (they cost no points): {len(self.warnings)}"]
            lines += [f"  {text[:160]}" for text in unique[:3]]
            if len(unique) > 3:
                lines.append(f"  ... and {len(unique) - 3} other kinds")
        written = [line for line in self.stderr.splitlines() if line.strip()]
        if written:
            lines += ["", f"Written to stderr while grading (costs no points): {len(written)} line(s)"]
            lines += [f"  {line[:160]}" for line in written[:3]]
        return "\n".join(lines)


@contextlib.contextmanager
def captured_stderr():
    """Keep warnings and everything written to stderr, from Python or from C, out of the cell's
    stderr: nbgrader would score the cell zero for it."""
    noise = Noise()
    text = io.StringIO()
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(tempfile.TemporaryFile())
        saved = None
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stderr.flush()
        with contextlib.suppress(OSError):
            saved = os.dup(2)
            os.dup2(sink.fileno(), 2)
        try:
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(text):
                warnings.simplefilter("always")
                yield noise
        finally:
            if saved is not None:
                os.dup2(saved, 2)
                os.close(saved)
            sink.seek(0)
            noise.stderr = text.getvalue() + sink.read().decode("utf-8", "replace")
            noise.warnings = [f"{item.category.__name__}: {item.message}" for item in caught]


# pytest reads these from the environment, which the student's cells can set: a plugin named in
# PYTEST_PLUGINS could rewrite every report, PYTEST_ADDOPTS add options.
_PYTEST_ENVIRONMENT = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_PLUGINS": None, "PYTEST_ADDOPTS": None}


@contextlib.contextmanager
def pytest_environment():
    saved = {name: os.environ.get(name) for name in _PYTEST_ENVIRONMENT}
    for name, value in _PYTEST_ENVIRONMENT.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
