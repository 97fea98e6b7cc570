"""The student's practice view: the notebook's test cells call `grade` while the student works.

This is feedback, never the recorded grade: under `nbgrader autograde` (with the course's
nbgrader_config.py), `nngrade check` and `nngrade grade` the notebook is graded by the isolated
engine instead, and no test cell runs in a kernel (graders/autograde.py). The report `grade` shows
is the one those paths put into the test cell (`report.function_verdict`), from the same graders
on the same inputs, so an honest notebook sees here the score it will get.

The notebook's `grader` cell imports this module before any of the student's cells run, so the
graders, the PyTorch references they compare against, and a snapshot of the libraries they use
are all taken from an untouched interpreter. `grade(function)` runs that function's checks (the
same pytest graders as `nngrade check`) on the functions defined in the notebook, shows a short
report (HTML in Jupyter, with its plain text beside it), and returns the points earned as a plain
float. `check_all(assignment)`, in the notebook's last cell, runs every check and shows the whole
assignment's verdict.

What a call of `grade` guarantees, inside the student's own kernel:

* the score is a plain `float` between 0 and the points the graders declare for the function,
  which are also the test cell's points (nbgrader fails a whole notebook when a cell returns more);
* nothing reaches the cell's stderr (nbgrader scores a test cell with any stderr output as zero):
  warnings and anything written to stderr while grading, by the graders or by the student's code,
  from Python or from C, is captured; the warnings are listed in the report instead;
* the libraries the graders rely on are the ones imported before the student's cells ran: every
  function, class and method of torch, numpy, pytest, the graders and a few standard modules that
  the student replaced (`torch.testing.assert_close = ...`, `F.mse_loss = ...`, `torch.isclose =
  ...`, `torch.Tensor.__eq__ = ...`) is put back for the duration of the call, and the part the
  judge compares with is put back again after each probe that ran the student's code (so a
  function that patches torch while it runs gains nothing either); the student's replacements
  are reinstated afterwards.

What it does not guarantee: the student's code runs in this process, so a student who targets the
grading machinery itself (rebinding the name `grade`, walking the stack to its scoreboard, editing
this module's functions) can make this practice view show a score it did not earn. That fools only
the student: the recorded score is computed in the isolated engine, where none of it reaches.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import html
import importlib
import io
import math
import os
import sys
import tempfile
import warnings

import _pytest.config
import torch  # imported before any student code, with everything below

from graders import cli, codec, forbidden, plugin, probes  # noqa: F401 - probes: imported now, with the rest
from graders.report import Scoreboard, Verdict, assignment_html, assignment_text, function_verdict

try:
    from IPython.display import display as _display
except ImportError:  # not in a Jupyter kernel: the reports are printed
    _display = None
from graders.submission import InProcess, Submission, resolve_probe

# Import every grader now, before student code can replace what they rely on.
GRADERS = {name: importlib.import_module(f"graders.test_{name}") for name in cli.assignments()}

# pytest's default plugins are imported on the first run; import them now so they are snapshotted.
for _name in _pytest.config.default_plugins:
    with contextlib.suppress(ImportError):
        importlib.import_module(f"_pytest.{_name}")

# The base seed of the checks' inputs. An instructor can grade on inputs the students never saw
# with `NNGRADE_SEED=<n> nbgrader autograde <a>`; read once, before student code can change it.
SEED = int(os.environ.get("NNGRADE_SEED", "0") or "0")

# Built-ins this module uses on the score, bound before student code could replace them.
_float, _min, _max, _isfinite, _print = float, min, max, math.isfinite, print

# pytest options for a grading run inside a kernel: nngrade's plugin and no other (plugins that
# happen to be installed are not loaded, see `_no_plugin_autoload`), no warnings plugin (`grade`
# captures warnings itself), no unraisable-exception plugin (its five full garbage collections per
# run cost seconds in a process that holds torch).
_PYTEST_OPTIONS = ["-p", "graders.plugin", "-p", "no:warnings", "-p", "no:unraisableexception"]

# The first torch function mode imports torch._dynamo (seconds): do it now, with the imports.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    with forbidden.recording_calls():
        torch.zeros(1).add(1)


def declared_points(module) -> dict[str, float]:
    """function -> the points its checks declare (`@pytest.mark.points(n, function=...)`)."""
    totals: dict[str, float] = {}
    for name, item in vars(module).items():
        if not name.startswith("test") or not callable(item):
            continue
        for mark in getattr(item, "pytestmark", []):
            if mark.name == "points" and mark.args:
                function = mark.kwargs.get("function") or "other"
                totals[function] = totals.get(function, 0.0) + float(mark.args[0])
    return totals


POINTS = {assignment: declared_points(module) for assignment, module in GRADERS.items()}


def assignment_of(function: str) -> str:
    for assignment, functions in POINTS.items():
        if function in functions:
            return assignment
    raise ValueError(f"no assignment grades a function named {function!r}")


# ----------------------------------------------------------------- the libraries, as imported

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


class _Library:
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


class _GuardedInProcess(InProcess):
    """The in-process backend, with the library put back right after each call of student code,
    before the judge looks at what came back."""

    def run(self, probe: str, header: str, blobs: list[bytes], timeout: float | None = None):
        routine = resolve_probe(probe)
        kwargs = codec.decode(header, blobs)
        try:
            result = routine(self.namespace, **kwargs)
        finally:
            _LIBRARY.restore(hot_only=True)
        return codec.encode(result)


# ----------------------------------------------------------------- grading

class _Notebook:
    """Hands the notebook's own namespace to the graders as the submission."""

    def __init__(self, submission):
        self.submission = submission

    def pytest_configure(self, config):
        config.stash[plugin.PROVIDED_SUBMISSION] = self.submission


def grade(function: str, namespace: dict | None = None, *, device: str = "all", seed: int | None = None) -> float:
    """Run the checks of `function` on the notebook's definitions; show a report; return the points."""
    undo = _LIBRARY.restore()
    try:
        if namespace is None:
            namespace = _caller_namespace()
        assignment = assignment_of(function)
        points = POINTS[assignment][function]
        board, noise = _graded(assignment, namespace, ["--function", function], device, seed)
        earned, _ = board.total()
        score = _min(_max(_float(earned), 0.0), _float(points))
        if not _isfinite(score):
            score = 0.0
        verdict = function_verdict(board, function, score, points)
        _show(verdict, noise, _devices_note(board))
    finally:
        _Library.reinstate(undo)
    return score


def check_all(assignment: str, namespace: dict | None = None, *, device: str = "all", seed: int | None = None):
    """Run every check of `assignment` on the notebook's definitions and show the whole verdict: the
    total, each function's score, and every failure explained. It records nothing: the notebook's
    grade is the sum of its test cells' scores, computed again when the notebook is graded."""
    undo = _LIBRARY.restore()
    try:
        if assignment not in POINTS:
            raise ValueError(f"no assignment named {assignment!r} (known: {', '.join(POINTS)})")
        if namespace is None:
            namespace = _caller_namespace()
        board, noise = _graded(assignment, namespace, [], device, seed)
        _show(Verdict(board.total()[0], assignment_text(board, assignment), assignment_html(board, assignment)),
              noise, _devices_note(board))
    finally:
        _Library.reinstate(undo)


def _graded(assignment: str, namespace: dict, selection: list[str], device: str, seed: int | None):
    """Run the graders of `assignment` (the checks that `selection` picks) on `namespace`, in this
    kernel, with the libraries as they were imported; return the scoreboard and what grading wrote."""
    board = Scoreboard()
    submission = Submission(_GuardedInProcess(namespace), sources=notebook_sources(namespace), label="notebook")
    with _captured_stderr() as noise, _no_plugin_autoload():
        code = cli.run_pytest([str(cli.grader_file(assignment)), *selection, "--device", device,
                               "--seed", str(SEED if seed is None else seed), *_PYTEST_OPTIONS],
                              board, extra_plugins=[_Notebook(submission)])
    _LIBRARY.restore()
    if code not in (0, 1):
        raise RuntimeError(f"the graders of {assignment} could not run (pytest exit code {code})")
    return board, noise


_devices_noted = False


def _devices_note(board: Scoreboard) -> str:
    """Which devices this computer lacks, said once per kernel, not in every cell: the checks of an
    absent device are left out here and count for nothing, wherever the notebook is graded."""
    global _devices_noted
    absent = board.skipped_devices()
    if not absent or _devices_noted:
        return ""
    _devices_noted = True
    return (f"Checked on {', '.join(board.devices()) or 'no device'}: this computer has no "
            f"{' or '.join(absent)} device, so those cases were left out (they count for nothing either way).")


def _show(verdict: Verdict, noise: _Noise, note: str):
    """The report as Jupyter shows it (HTML, with the plain text beside it for front ends without HTML),
    or as plain text outside a notebook."""
    extra = noise.summary() + (f"\n\n{note}" if note else "")
    text = verdict.text + extra
    if _display is None or getattr(builtins, "get_ipython", None) is None:
        _print(text)
        return
    markup = verdict.html
    if extra.strip():
        markup += (f'<div style="white-space: pre-wrap; word-break: normal; color: #4b5563; margin-top: 6px">'
                   f"{html.escape(extra.strip())}</div>")
    _display({"text/plain": text, "text/html": markup}, raw=True)


def notebook_sources(namespace: dict) -> list[str]:
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


class _Noise:
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
def _captured_stderr():
    """Keep warnings and everything written to stderr, from Python or from C, out of the cell's
    stderr: nbgrader would score the cell zero for it."""
    noise = _Noise()
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
def _no_plugin_autoload():
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


def _caller_namespace() -> dict:
    try:
        return builtins.get_ipython().user_ns
    except AttributeError:
        return sys._getframe(2).f_globals


# Last, so that this module's own functions are part of the snapshot.
_LIBRARY = _Library()
