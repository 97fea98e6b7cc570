"""Noticing that a forbidden built-in did the work.

Two independent witnesses: at run time, a torch function mode and a dispatch mode record every
torch function and every ATen operator reached while the student's function runs (so a built-in
reached through `getattr`, a method, an alias or `torch.special` is still seen); in the judge, a
scan of the submission's syntax tree finds the built-in named in code (strings and docstrings
are not code, so naming a built-in in a docstring is no use of it).
"""

from __future__ import annotations

import ast
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


def named_in_source(sources, function: str, pattern: str) -> list[str]:
    """Forbidden names that the code of `function` (a function or class) refers to.

    `sources` are the submission's code chunks (a file, or a notebook's cells), parsed one by
    one so that one broken cell hides nothing else. Names of the submission's own top-level
    definitions are allowed: a function may call the student's own other functions.
    """
    trees = []
    for source in sources:
        try:
            trees.append(ast.parse(source))
        except SyntaxError:
            continue
    regex = re.compile(pattern)
    own = {node.name for tree in trees for node in tree.body if isinstance(node, _DEFINITIONS)}
    own |= {target.id for tree in trees for node in tree.body if isinstance(node, ast.Assign)
            and not _mentions(node.value, regex, own) for target in node.targets if isinstance(target, ast.Name)}
    imported = {alias.asname or alias.name: alias.name
                for tree in trees for node in tree.body if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    found = set()
    for tree in trees:
        for node in tree.body:
            if not isinstance(node, _DEFINITIONS) or node.name != function:
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Attribute) and regex.search(inner.attr):
                    found.add(inner.attr)
                elif isinstance(inner, ast.Name) and regex.search(imported.get(inner.id, "")):
                    found.add(imported[inner.id])
                elif isinstance(inner, ast.Name) and regex.search(inner.id) and inner.id not in own:
                    found.add(inner.id)
                elif isinstance(inner, ast.alias) and regex.search(inner.name):
                    found.add(inner.name)
    return sorted(found)


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _mentions(node, regex, own) -> bool:
    """Whether an expression names something the pattern forbids (`alias = torch.logsumexp`), other
    than the submission's own definitions."""
    return any((isinstance(inner, ast.Attribute) and regex.search(inner.attr))
               or (isinstance(inner, ast.Name) and regex.search(inner.id) and inner.id not in own)
               for inner in ast.walk(node))
