"""Reading a submission: a `.py` file, a notebook, or a folder holding one.

`code_chunks` only reads (the judge uses it to scan the source); `execute` runs the chunks
into a fresh module namespace the way a notebook kernel would, going on past a chunk that
raises and remembering a one-line reason for it.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
import traceback
import types
from pathlib import Path


class UnreadableSubmission(Exception):
    """The submission cannot be found or parsed as a file of a known kind."""


@dataclasses.dataclass(frozen=True)
class Chunk:
    label: str
    source: str


def resolve(path, assignment: str | None = None) -> Path:
    """The one file to grade: `path` itself, or the matching file inside a folder."""
    path = Path(path)
    if path.is_file():
        if path.suffix not in (".py", ".ipynb"):
            raise UnreadableSubmission(f"{path} is neither a .py file nor a notebook")
        return path
    if not path.is_dir():
        raise UnreadableSubmission(f"{path} does not exist")
    if assignment:
        for suffix in (".ipynb", ".py"):
            if (path / f"{assignment}{suffix}").is_file():
                return path / f"{assignment}{suffix}"
    candidates = sorted(p for p in path.iterdir()
                        if p.suffix in (".py", ".ipynb") and not p.name.startswith("."))
    if len(candidates) == 1:
        return candidates[0]
    wanted = f" named {assignment}.ipynb or {assignment}.py" if assignment else ""
    raise UnreadableSubmission(
        f"{path} holds {len(candidates)} .py/.ipynb files; expected exactly one{wanted}")


def infer_assignment(path, known) -> str | None:
    """The assignment a submission is for, from its notebook metadata or its name."""
    path = Path(path)
    names = [path.stem, path.name] + ([p.stem for p in path.iterdir()] if path.is_dir() else [])
    for name in names:
        if name in known:
            return name
    return None


def is_autograder_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def is_grading_cell(cell) -> bool:
    """A test cell, or the locked `grader` cell that imports the practice `grade` into a student's
    kernel: neither is the student's code, and neither has a place where a submission is graded."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return is_autograder_cell(cell) or (meta.get("grade_id") == "grader" and bool(meta.get("locked")))


def code_chunks(path: Path) -> list[Chunk]:
    """The code that loading `path` runs, in order, without running any of it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UnreadableSubmission(f"cannot read {path.name}: {error}") from None
    if path.suffix == ".py":
        return [Chunk(path.name, text)]
    import nbformat  # only for notebooks: importing it builds jsonschema grammars (seconds)

    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:
        raise UnreadableSubmission(f"{path.name} is not a readable notebook: "
                                   f"{str(error).splitlines()[0] if str(error) else type(error).__name__}") from None
    chunks = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code" or is_grading_cell(cell):
            continue
        source = strip_ipython(cell.source)
        if source.strip():
            chunks.append(Chunk(f"cell {number}", source))
    return chunks


def strip_ipython(source: str) -> str:
    """Drop what only IPython understands: cell magics, line magics and shell escapes."""
    if source.lstrip().startswith("%%"):
        return ""
    kept = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(("%", "!")):
            indent = line[: len(line) - len(line.lstrip())]
            kept.append(f"{indent}pass" if indent else "")
        else:
            kept.append(line)
    return "\n".join(kept)


def execute(chunks: list[Chunk], module_name: str = "submission") -> tuple[dict, list[str]]:
    """Run `chunks` into a new module namespace; return it and one line per chunk that failed."""
    module = types.ModuleType(module_name)
    module.__file__ = f"<{module_name}>"
    sys.modules[module_name] = module
    errors = []
    for chunk in chunks:
        try:
            code = compile(chunk.source, f"<{chunk.label}>", "exec")
            exec(code, module.__dict__)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # noqa: BLE001 - a submission may raise anything, SystemExit included
            errors.append(f"{chunk.label}: {describe_exception(error)}")
    return module.__dict__, errors


def describe_exception(error: BaseException) -> str:
    """One line: the exception's type and message, and where in the submission it was raised."""
    where = ""
    if isinstance(error, SyntaxError):
        where = f" (line {error.lineno})" if error.lineno else ""
        return f"SyntaxError: {error.msg}{where}"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<")]
    if frames:
        where = f" (line {frames[-1].lineno})"
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    if len(text) > 300:
        text = text[:297] + "..."
    return text + where


def kernel_history_sources(namespace: dict) -> list[str]:
    """The code the kernel has run (IPython's input history), for the graders' source scan.

    A function redefined in a later cell is what the namespace holds, so an earlier definition
    of the same name is left out: a student who removed a forbidden call is judged on the fix.
    """
    history = namespace.get("_ih")
    if not isinstance(history, list):
        return []
    trees = []
    for chunk in history:
        if isinstance(chunk, str) and chunk.strip():
            try:
                trees.append(ast.parse(chunk))
            except SyntaxError:
                continue
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    latest = {node.name: index for index, tree in enumerate(trees) for node in tree.body
              if isinstance(node, definitions)}
    sources = []
    for index, tree in enumerate(trees):
        tree.body = [node for node in tree.body if not (isinstance(node, definitions) and latest[node.name] != index)]
        sources.append(ast.unparse(tree))
    return sources
