"""Reading a submission: a `.py` file, a notebook, or a folder holding one.

`code_chunks` only reads (the judge uses it to scan the source); `execute` runs the chunks
into a fresh module namespace the way a notebook kernel would, going on past a chunk that
raises and remembering a one-line reason for it.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import os
import re
import stat
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


# What file managers, Jupyter and Colab add to a copied or re-downloaded file's name.
_COPY_PREFIX = re.compile(r"^copy of\s+", re.IGNORECASE)
_COPY_SUFFIX = re.compile(r"(?:[-_ ]+copy\d*|\s*\(\d+\))+$", re.IGNORECASE)


def plain_name(path) -> str:
    """A submission's name without what copying adds: losses-Copy1.ipynb, losses (1).ipynb,
    Copy of losses.ipynb and Losses.ipynb are all `losses`."""
    return _COPY_SUFFIX.sub("", _COPY_PREFIX.sub("", Path(path).stem)).strip().lower()


def candidates(folder: Path) -> list[Path]:
    """The .py and .ipynb entries of a folder, whatever their kind (`regular` checks the one chosen)."""
    return sorted(p for p in folder.iterdir() if p.suffix in (".py", ".ipynb") and not p.name.startswith("."))


def regular(file: Path) -> Path:
    """`file`, when it is a regular file; UnreadableSubmission with the reason otherwise."""
    kind = _kind(file)
    if kind != "file":
        raise UnreadableSubmission(f"{file.name} {kind}")
    return file


def resolve(path, assignment: str | None = None) -> Path:
    """The one file to grade: `path` itself, or the file inside a folder that is named after the
    assignment (exactly, else once copied or renamed), or the folder's only .py/.ipynb file. Only regular
    files and folders are taken: a symbolic link (to the reference solution, to another student's work)
    or a special file (a FIFO that would block the reader) is unreadable, with the reason."""
    path = Path(path)
    kind = _kind(path)
    if kind == "file":
        if path.suffix not in (".py", ".ipynb"):
            raise UnreadableSubmission(f"{path} is neither a .py file nor a notebook")
        return path
    if kind != "folder":
        raise UnreadableSubmission(f"{path} {kind}")
    files = candidates(path)
    if assignment:
        for suffix in (".ipynb", ".py"):
            if os.path.lexists(path / f"{assignment}{suffix}"):
                return regular(path / f"{assignment}{suffix}")
        named = [file for file in files if plain_name(file) == assignment]
        if len(named) > 1:
            raise UnreadableSubmission(
                f"{path} holds {len(named)} files that could be the {assignment} submission "
                f"({', '.join(file.name for file in named)}): name the one to grade")
        if named:
            return regular(named[0])
    if len(files) == 1:
        return regular(files[0])
    wanted = f" named {assignment}.ipynb or {assignment}.py" if assignment else ""
    listed = f" ({', '.join(file.name for file in files[:6])}{', ...' if len(files) > 6 else ''})" if files else ""
    raise UnreadableSubmission(f"{path} holds {len(files)} .py/.ipynb files{listed}; expected exactly one{wanted}")


def _kind(path: Path) -> str:
    """"file", "folder", or why `path` is neither (as the end of a sentence), without following links."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "does not exist"
    if stat.S_ISLNK(mode):
        return "is a symbolic link: only regular files are graded"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    return "is not a regular file (a FIFO, socket or device): only regular files are graded"


# The largest file read: a submission's code may be up to codec.MAX_CODE; a notebook also holds outputs.
MAX_FILE = 128 << 20


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file, opened without following a link and without blocking on a FIFO
    that took its place; UnreadableSubmission otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise UnreadableSubmission(f"cannot read {path.name}: {error.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableSubmission(f"{path.name} is not a regular file: only regular files are graded")
        data = handle.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise UnreadableSubmission(f"{path.name} is larger than {MAX_FILE >> 20} MiB")
    return data


def infer_assignment(path, functions: dict[str, set[str]]) -> str | None:
    """The assignment a submission is for: from its name (or its folder's, or its files'), else from
    its notebook's nbgrader metadata (the test cells `grade_<function>` name the graded functions).
    `functions` maps each assignment to the functions its graders grade."""
    path = Path(path)
    files = [path] if path.is_file() else candidates(path) if path.is_dir() else []
    names = {plain_name(path)} if path.is_file() else {plain_name(path), *map(plain_name, files)}
    named = names & functions.keys()
    if len(named) == 1:
        return named.pop()
    graded = set()
    for file in files:
        if file.suffix == ".ipynb":
            graded |= _graded_functions(file)
    matching = [assignment for assignment, names in functions.items() if graded and graded <= names]
    return matching[0] if len(matching) == 1 else None


def _graded_functions(notebook: Path) -> set[str]:
    """The functions a notebook's nbgrader test cells grade; empty for a file that is not a notebook."""
    try:
        cells = json.loads(read_bytes(notebook).decode("utf-8")).get("cells", [])
        return {str(cell["metadata"]["nbgrader"].get("grade_id", "")).removeprefix("grade_")
                for cell in cells if is_autograder_cell(cell)}
    except (UnreadableSubmission, UnicodeDecodeError, ValueError, AttributeError, KeyError, TypeError):
        return set()


def is_autograder_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


# The locked cells that run the practice view in a student's kernel: `grader` imports `grade` and
# `check_all`, `check_all` shows the whole assignment's verdict.
GRADING_CELLS = ("grader", "check_all")


def is_grading_cell(cell) -> bool:
    """A test cell, or a locked cell of the practice view (GRADING_CELLS): none is the student's code,
    and none has a place where a submission is graded."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return is_autograder_cell(cell) or (meta.get("grade_id") in GRADING_CELLS and bool(meta.get("locked")))


def code_chunks(path: Path) -> list[Chunk]:
    """The code that loading `path` runs, in order, without running any of it."""
    try:
        text = read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableSubmission(f"cannot read {path.name}: {error}") from None
    if path.suffix == ".py":
        return [Chunk(path.name, text)]
    try:
        notebook = import_nbformat().reads(text, as_version=4)
        cells = list(notebook.cells)
    except Exception as error:  # noqa: BLE001 - whatever the notebook's JSON makes nbformat raise
        first = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise UnreadableSubmission(f"{path.name} is not a readable notebook: {first}") from None
    chunks = []
    for number, cell in enumerate(cells, start=1):
        problem = _malformed(cell)
        if problem:
            raise UnreadableSubmission(f"{path.name} is not a readable notebook: cell {number} {problem}")
        if cell.get("cell_type") != "code" or is_grading_cell(cell):
            continue
        source = cell.get("source", "")
        source = strip_ipython(source if isinstance(source, str) else "".join(source))
        if source.strip():
            chunks.append(Chunk(f"cell {number}", source))
    return chunks


def import_nbformat():
    """nbformat, imported only for notebooks, and without a grammar it never uses: jsonschema, which
    nbformat imports, imports rfc3987_syntax where it is installed (for two string formats that
    nbformat's schema does not have), and that builds a lark grammar on import, a second of CPU.
    It is kept out while nbformat is imported, and importable again afterwards."""
    if "nbformat" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # an import of it now raises ImportError, which jsonschema expects
        try:
            import nbformat  # noqa: F401
        finally:
            if sys.modules.get("rfc3987_syntax", 0) is None:
                del sys.modules["rfc3987_syntax"]
    import nbformat

    return nbformat


def _malformed(cell) -> str | None:
    """Why a notebook cell cannot be read as nbformat describes it (its validation only warns), or None."""
    if not isinstance(cell, dict):
        return "is not a JSON object"
    if not isinstance(cell.get("metadata", {}), dict) or not isinstance(
            cell.get("metadata", {}).get("nbgrader", {}), dict):
        return "has metadata that is not a JSON object"
    source = cell.get("source", "")
    if not (isinstance(source, str) or (isinstance(source, list) and all(isinstance(line, str) for line in source))):
        return f"has a source that is not text (a {type(source).__name__})"
    return None


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


def graded_path(folder: Path) -> Path:
    """What is graded for a student: their assignment folder, or their own folder when that is a
    symbolic link (which the loader then refuses, saying so)."""
    return folder.parent if folder.parent.is_symlink() else folder


def fingerprint(folder: Path, assignment: str, seed: int) -> str:
    """Identifies what was graded: the submission's bytes and the grading seed."""
    digest = hashlib.sha256(f"{assignment}:{seed}:".encode())
    try:
        digest.update(read_bytes(resolve(graded_path(folder), assignment)))
    except UnreadableSubmission:
        digest.update(b"unreadable")
    return digest.hexdigest()
