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
import functools
import re

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_BUILTINS = frozenset(dir(builtins))


def _parsed(source: str) -> ast.Module | None:
    """The syntax tree of a chunk of the submission (None for a syntax error): parsed once for all the
    checks that scan it (the scan only reads it), unless the chunk is too large to keep."""
    return _parsed_once(source) if len(source) <= 1 << 16 else _parse(source)


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


_parsed_once = functools.lru_cache(maxsize=64)(_parse)


def library_uses(sources, function: str) -> list[tuple[str, int, int]]:
    """(dotted library name, index of the chunk, line in the chunk) for every library object that
    the code of `function` refers to.

    The code of `function` is its last binding at module level: a `def` or `class`, or an
    assignment (`f = F.cross_entropy`, `f = lambda ...: ...`, `f = partial(...)`), whose value is
    then what is scanned. An earlier definition that a later one replaced is dead code and is not
    scanned (the run-time witness sees whatever actually runs).
    """
    trees = [(index, tree) for index, tree in enumerate(map(_parsed, sources)) if tree is not None]
    aliases: dict[str, str] = {}
    own: set[str] = set()
    for _, tree in trees:
        for node in _module_statements(tree):
            _bind_imports(node, aliases)
            if isinstance(node, _DEFINITIONS):
                own.add(node.name)
                aliases.pop(node.name, None)
    for _, tree in trees:  # module-level assignments: an alias of a library object, or the student's own value
        for node in _module_statements(tree):
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
    binding = None
    for index, tree in trees:
        for node in _module_statements(tree):
            if isinstance(node, _DEFINITIONS) and node.name == function:
                binding = (index, node, node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(target, ast.Name) and target.id == function for target in targets):
                    binding = (index, node.value, node)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                imported: dict[str, str] = {}
                _bind_imports(node, imported)
                if function in imported:  # from torch.nn.functional import cross_entropy
                    binding = (index, imported[function], node)
    if binding is None:
        return []
    index, code, statement = binding
    if isinstance(code, str):
        return [(code, index, statement.lineno)]
    found: dict[str, tuple[str, int, int]] = {}

    def add(name, node):
        found.setdefault(name, (name, index, getattr(node, "lineno", statement.lineno)))

    if not isinstance(code, _DEFINITIONS):
        resolved = _dotted(code, {key: value for key, value in aliases.items() if key != function}, own - {function})
        if resolved:  # f = F.cross_entropy
            add(resolved, code)
    local_aliases = dict(aliases)
    for inner in ast.walk(code):
        _bind_imports(inner, local_aliases)
        if isinstance(inner, ast.Import):
            for alias in inner.names:
                add(alias.name, inner)
        elif isinstance(inner, ast.ImportFrom) and inner.module and not inner.level:
            for alias in inner.names:
                add(f"{inner.module}.{alias.name}", inner)
    bound = _locally_bound(code)
    for inner in ast.walk(code):
        if isinstance(inner, (ast.Name, ast.Attribute)) and isinstance(getattr(inner, "ctx", None), ast.Load):
            name = _dotted(inner, local_aliases, own | bound)
            if name:
                add(name, inner)
    return sorted(found.values(), key=lambda use: (use[2], use[0]))


def named_in_source(sources, function: str, pattern: str) -> list[str]:
    """The library names in `function`'s code that the forbidden `pattern` matches in any of their
    parts (`mse_loss` matches `torch.nn.functional.mse_loss`), as the last matching part."""
    return sorted({short for short, _, _, _ in forbidden_in_source(sources, function, pattern)})


def forbidden_in_source(sources, function: str, pattern: str, *, parts: bool = True):
    """(last matching part, dotted name, chunk index, line) for each library name in `function`'s
    code that the forbidden `pattern` matches: in any of its parts (`parts`), or as a whole dotted
    name. Of names that extend one another (`torch.func`, `torch.func.grad`) only the longest is kept."""
    regex = re.compile(pattern)
    hits = []
    for name, index, line in library_uses(sources, function):
        if parts:
            matched = [part for part in name.split(".") if regex.search(part)]
            if matched:
                hits.append((matched[-1], name, index, line))
        elif regex.search(name):
            hits.append((name.rpartition(".")[2], name, index, line))
    names = {hit[1] for hit in hits}
    return [hit for hit in hits if not any(other.startswith(hit[1] + ".") for other in names)]


def _module_statements(tree):
    """The statements run at module level, in order, including those inside if/try/with/for blocks."""
    for node in tree.body:
        yield from _flatten(node)


def _flatten(node):
    yield node
    if isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.Try) + _TRY_STAR):
        for field in ("body", "orelse", "finalbody"):
            for child in getattr(node, field, ()):
                yield from _flatten(child)
        for handler in getattr(node, "handlers", ()):
            for child in handler.body:
                yield from _flatten(child)


_TRY_STAR = (ast.TryStar,) if hasattr(ast, "TryStar") else ()


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
    """Every name the definition (or lambda, or expression) binds: parameters, assignment and loop
    targets, nested definitions, `as` names and comprehension variables."""
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
