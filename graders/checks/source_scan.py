"""The judge's witness of forbidden built-ins: a scan of the submission's syntax tree.

It finds a built-in named in code (strings and docstrings are not code, so naming a built-in in a
docstring is no use of it). The other witness runs in the worker: `graders.probes.recorder`.
"""

from __future__ import annotations

import ast
import re


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
