"""The judge's witness of forbidden built-ins: a scan of the submission's syntax tree.

A forbidden built-in is what the code calls, not what it names. The scan resolves every name in a
function's code through the submission's imports (`import torch.nn.functional as F; F.mse_loss` is
`torch.nn.functional.mse_loss`) and counts only names that lead into a library: a parameter, a
local variable, an attribute of a local object, or the student's own function, class or value is
never a built-in, whatever it is called. Strings and docstrings are not code. The other witness
runs in the worker: `graders.probes.recorder`.
"""

from __future__ import annotations

import ast
import builtins
import re

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_BUILTINS = frozenset(dir(builtins))


def library_names(sources, function: str) -> set[str]:
    """The dotted names of library objects that the code of `function` (a function or class)
    refers to, resolved through the submission's imports.

    `sources` are the submission's code chunks (a file, or a notebook's cells), parsed one by one so
    that one broken cell hides nothing else. A bare name that nothing in the submission binds (a
    star import, say) is kept as it is written.
    """
    trees = []
    for source in sources:
        try:
            trees.append(ast.parse(source))
        except SyntaxError:
            continue
    aliases: dict[str, str] = {}
    own: set[str] = set()
    for tree in trees:
        for node in tree.body:
            _bind_imports(node, aliases)
            if isinstance(node, _DEFINITIONS):
                own.add(node.name)
                aliases.pop(node.name, None)
    for tree in trees:  # module-level assignments: an alias of a library object, or the student's own value
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                resolved = _dotted(node.value, aliases, own)
                for target in targets:
                    if isinstance(target, ast.Name):
                        if resolved:
                            aliases[target.id] = resolved
                        else:
                            own.add(target.id)
                            aliases.pop(target.id, None)
    found: set[str] = set()
    for tree in trees:
        for node in tree.body:
            if not isinstance(node, _DEFINITIONS) or node.name != function:
                continue
            local_aliases = dict(aliases)
            for inner in ast.walk(node):
                _bind_imports(inner, local_aliases)
                if isinstance(inner, ast.Import):
                    found.update(alias.name for alias in inner.names)
                elif isinstance(inner, ast.ImportFrom) and inner.module and not inner.level:
                    found.update(f"{inner.module}.{alias.name}" for alias in inner.names)
            bound = _locally_bound(node)
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Name, ast.Attribute)) and isinstance(getattr(inner, "ctx", None), ast.Load):
                    name = _dotted(inner, local_aliases, own | bound)
                    if name:
                        found.add(name)
    return found


def named_in_source(sources, function: str, pattern: str) -> list[str]:
    """The library names in `function`'s code that the forbidden `pattern` matches in any of their
    parts (`mse_loss` matches `torch.nn.functional.mse_loss`), as the last matching part."""
    regex = re.compile(pattern)
    matched = set()
    for name in library_names(sources, function):
        parts = [part for part in name.split(".") if regex.search(part)]
        if parts:
            matched.add(parts[-1])
    return sorted(matched)


def _bind_imports(node, aliases: dict):
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                aliases[alias.asname] = alias.name
            else:
                top = alias.name.partition(".")[0]
                aliases[top] = top
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for alias in node.names:
            if alias.name != "*":
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def _dotted(node, aliases: dict, own: set) -> str | None:
    """`a.b.c` with `a` resolved through the imports; None when it starts at something the student
    binds (or at a Python built-in such as `len`) or is not a plain chain of names."""
    if isinstance(node, ast.Name):
        if node.id in aliases:
            return aliases[node.id]
        if node.id in own or node.id in _BUILTINS:
            return None
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases, own)
        return f"{base}.{node.attr}" if base else None
    return None


def _locally_bound(definition) -> set[str]:
    """Every name the definition binds: parameters, assignment and loop targets, nested definitions,
    `as` names and comprehension variables."""
    bound = set()
    for inner in ast.walk(definition):
        if isinstance(inner, ast.arg):
            bound.add(inner.arg)
        elif isinstance(inner, ast.Name) and isinstance(inner.ctx, (ast.Store, ast.Del)):
            bound.add(inner.id)
        elif isinstance(inner, _DEFINITIONS) and inner is not definition:
            bound.add(inner.name)
        elif isinstance(inner, ast.ExceptHandler) and inner.name:
            bound.add(inner.name)
        elif isinstance(inner, (ast.Global, ast.Nonlocal)):
            bound.difference_update(inner.names)
    return bound
