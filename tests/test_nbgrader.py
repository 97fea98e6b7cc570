"""nbgrader for real: the course configuration, the autograder cells' `grade`, and the whole
instructor workflow (generate_assignment, autograde, generate_feedback, the gradebook) run with the
real nbgrader on a temporary course, the way nbgrader's own tests do it."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time

import nbformat
import pytest

from conftest import ROOT
from graders.engine import build
from graders.engine import runner

ASSIGNMENTS = runner.assignments()
SOLUTION_MARKERS = build.MARKERS
STUB_INSTRUCTION = "# Write your implementation here, in place of the line below."


def course_config():
    """nbgrader_config.py as nbgrader loads it (a traitlets Python config file)."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()


def autograder_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"
            and cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata["nbgrader"].get("solution")]


def solution_cells(notebook):
    return [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("solution")]


# ----------------------------------------------------------------------------- configuration

def grade_cell(outputs, points):
    return nbformat.v4.new_code_cell("grade('f')", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": points, "grade_id": "grade_f",
        "schema_version": 3}}, outputs=outputs)


def stream(name, text):
    return nbformat.v4.new_output("stream", name=name, text=text)


def result(text):
    return nbformat.v4.new_output("execute_result", data={"text/plain": text}, execution_count=1)


def test_course_directories_are_exercises_and_release():
    config = course_config()
    assert config.CourseDirectory.source_directory == "exercises"
    assert config.CourseDirectory.release_directory == "release"
    for assignment in ASSIGNMENTS:
        assert (ROOT / "exercises" / assignment / f"{assignment}.ipynb").is_file()
        assert (ROOT / "release" / assignment / f"{assignment}.ipynb").is_file()


def test_every_cell_has_a_time_limit():
    assert 30 <= course_config().Execute.timeout <= 600


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_stub_is_an_instruction_and_a_raise(assignment):
    release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    cells = [cell for cell in solution_cells(release) if cell.cell_type == "code"]
    assert cells
    for cell in cells:
        stub = [line.strip() for line in cell.source.splitlines()]
        assert not any(marker in cell.source for marker in SOLUTION_MARKERS)
        assert stub.count(STUB_INSTRUCTION) == stub.count("raise NotImplementedError()") >= 1, cell.source
        assert stub.index("raise NotImplementedError()") == stub.index(STUB_INSTRUCTION) + 1


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograder_cells_call_grade_once_per_graded_function(assignment):
    from graders import notebook

    source = nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    cells = autograder_cells(source)
    assert [cell.source.strip() for cell in cells] == [f'grade("{f}")' for f in notebook.POINTS[assignment]]
    assert {cell.metadata["nbgrader"]["grade_id"] for cell in cells} == {
        f"grade_{f}" for f in notebook.POINTS[assignment]}
    grader_cell = next(cell for cell in source.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "grader")
    assert source.cells.index(grader_cell) < min(source.cells.index(cell) for cell in solution_cells(source))
    assert grader_cell.metadata["nbgrader"]["locked"]
    assert grader_cell.source == "from graders.notebook import check_all, grade"
    last = source.cells[-1]  # the whole assignment's verdict, locked and worth nothing
    assert last.source == f'check_all("{assignment}")' and last.metadata["nbgrader"]["grade_id"] == "check_all"
    assert last.metadata["nbgrader"]["locked"] and not last.metadata["nbgrader"]["grade"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_declared_points_are_what_the_graders_award(assignment):
    """`grade` clamps to these points, read from the markers before student code runs."""
    from graders import notebook
    from graders.engine.report import Scoreboard

    board = Scoreboard()
    runner.run_pytest([str(runner.grader_file(assignment)), "--collect-only", "--submission", "reference"], board)
    assert notebook.POINTS[assignment] == board.points_by_function()


def test_known_harmless_stderr_is_ignored_and_other_stderr_scores_zero():
    from nbgrader.preprocessors import IgnorePattern
    from nbgrader.utils import determine_grade

    preprocessor = IgnorePattern(config=course_config())
    assert preprocessor.enabled
    harmless = [
        "/usr/lib/python3/site-packages/torch/_subclasses/functional_tensor.py:276: UserWarning: Failed to "
        "initialize NumPy: _ARRAY_API not found (Triggered internally at torch/csrc/utils/tensor_numpy.cpp:84.)\n",
        "A module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.1.0 as it may crash.\n",
    ]
    for text in harmless:
        cell = grade_cell([stream("stderr", text), result("7.5")], points=9)
        cell, _ = preprocessor.preprocess_cell(cell, {}, 0)
        assert determine_grade(cell) == (7.5, 9.0)
    cell = grade_cell([stream("stderr", "UserWarning: something else\n"), result("7.5")], points=9)
    cell, _ = preprocessor.preprocess_cell(cell, {}, 0)
    assert determine_grade(cell) == (0, 9.0)


@pytest.mark.parametrize("outputs, expected", [
    ([("result", "9.0")], 9.0),
    ([("result", "3.6667")], 3.6667),
    ([("result", "0.0")], 0.0),
    ([("stdout", "a report\n"), ("result", "4.5")], 4.5),
    ([("result", "1000.0")], 0.0),                  # nbgrader alone would fail the whole notebook
    ([("result", "-1.0")], 0.0),                    # nbgrader alone: full marks
    ([("result", "'9'")], 0.0),                     # a string: full marks
    ([("result", "np.float64(9.0)")], 0.0),         # a numpy scalar: full marks
    ([("result", "nan")], 0.0),
    ([("stdout", "no value returned\n")], 0.0),     # no result at all: full marks
    ([], 0.0),
    ([("stderr", "boom\n"), ("result", "9.0")], 0.0),
])
def test_a_test_cell_scores_the_number_it_returned_or_zero(outputs, expected):
    from nbgrader.utils import determine_grade

    score_or_zero = next(p for p in course_config().Autograde.autograde_preprocessors if p.__name__ == "ScoreOrZero")
    made = {"result": lambda text: result(text), "stdout": lambda text: stream("stdout", text),
            "stderr": lambda text: stream("stderr", text)}
    cell = grade_cell([made[kind](text) for kind, text in outputs], points=9)
    cell, _ = score_or_zero().preprocess_cell(cell, {}, 0)
    assert determine_grade(cell) == (expected, 9.0)


def test_autograde_grades_in_isolation_and_checks_the_score_before_saving_it():
    from nbgrader.preprocessors import Execute, IgnorePattern, SaveAutoGrades

    names = [p.__name__ for p in course_config().Autograde.autograde_preprocessors]
    assert Execute.__name__ not in names  # no student cell runs in a kernel as the instructor
    assert names.index("IsolatedGrading") < names.index(IgnorePattern.__name__) < names.index("ScoreOrZero") \
        < names.index(SaveAutoGrades.__name__)


def test_feedback_leaves_hidden_tests_out():
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades

    preprocessors = course_config().GenerateFeedback.preprocessors
    assert GetGrades in preprocessors and any(issubclass(step, ClearHiddenTests) for step in preprocessors)


def test_code_files_handed_in_beside_a_notebook_are_never_copied(tmp_path):
    from nbgrader.utils import find_all_files

    for name in ("graders/__init__.py", "graders/notebook.py", "torch.py", "ipykernel_launcher.py",
                 "fast.cpython-311-x86_64-linux-gnu.so", "evil.pth", "data.csv", "losses.ipynb"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    # What nbgrader's converters copy next to a notebook (converters/base.py, init_assignment).
    copied = find_all_files(str(tmp_path), course_config().CourseDirectory.ignore + ["*.ipynb"])
    assert [os.path.relpath(path, tmp_path) for path in copied] == ["data.csv"]


def test_gradebook_and_student_work_stay_out_of_the_repository():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "check-ignore", "gradebook.db", "submitted/x/losses/losses.ipynb",
                              "autograded/x/losses/losses.ipynb", "feedback/x/losses/losses.html"],
                             cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert len(ignored) == 4


# ----------------------------------------------------------------------------- `grade`, in process

def reference_namespace(assignment):
    namespace = {"__name__": "notebook"}
    exec(compile((ROOT / "solutions" / f"{assignment}.py").read_text(), "<reference>", "exec"), namespace)
    return namespace


WRONG_MSE = '''
def mse_loss(input, target, reduction="mean"):
    losses = (input - target) ** 2
    if reduction == "mean":
        return losses.sum()  # the mistake: a sum where the mean was asked for
    return apply_reduction(losses, reduction)
'''


def graded(function, namespace, **options):
    from graders import notebook

    return notebook.grade(function, namespace, device="cpu", **options)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_returns_a_plain_float_within_the_cell_points(assignment, capsys):
    from graders import notebook

    function, points = next(iter(notebook.POINTS[assignment].items()))
    score = graded(function, reference_namespace(assignment))
    assert type(score) is float and score == points
    assert f"{function}: {points:g} / {points:g} points" in capsys.readouterr().out


def test_grade_never_returns_more_than_the_declared_points(monkeypatch, capsys):
    from graders import notebook

    monkeypatch.setitem(notebook.POINTS["losses"], "mse_loss", 5.0)
    assert graded("mse_loss", reference_namespace("losses")) == 5.0


def test_one_mistake_earns_partial_credit_and_a_readable_report(capsys):
    namespace = reference_namespace("losses")
    exec(WRONG_MSE, namespace)
    score = graded("mse_loss", namespace)
    assert type(score) is float and 0 < score < 9
    report = capsys.readouterr().out
    assert report.startswith(f"mse_loss: {score:g} / 9 points")
    assert re.search(r"^  FAIL +[\d.]+ / 2 +\d/6 cases  matches pytorch$", report, re.M) and "times the mean" in report


def test_monkeypatching_the_libraries_does_not_change_the_verdict(capsys):
    """A student's cell replaces what the graders compare with; the verdict stays the same, and the
    student's replacements are back in place after grading."""
    import torch
    import torch.nn.functional as F

    from graders import notebook

    grade = notebook.grade  # bound before the student's cells run, as the notebook's grader cell does
    honest = reference_namespace("losses")
    exec(WRONG_MSE, honest)
    expected = grade("mse_loss", honest, device="cpu")
    expected_report = capsys.readouterr().out

    originals = {(torch.testing, "assert_close"): torch.testing.assert_close, (torch, "isclose"): torch.isclose,
                 (torch, "allclose"): torch.allclose, (torch, "all"): torch.all, (F, "mse_loss"): F.mse_loss,
                 (notebook, "grade"): notebook.grade}
    hostile = reference_namespace("losses")
    exec(WRONG_MSE + '''
import torch, torch.nn.functional as F, graders.notebook

def _always(*args, **kwargs):
    return True

torch.testing.assert_close = lambda *args, **kwargs: None
torch.isclose = lambda input, other, **kwargs: torch.ones_like(input, dtype=torch.bool)
torch.allclose = _always
F.mse_loss = lambda input, target, reduction="mean": mse_loss(input, target, reduction)
graders.notebook.grade = lambda *args, **kwargs: 9.0

_honest_mse = mse_loss
def mse_loss(input, target, reduction="mean"):
    torch.all = _always            # patched again while the graders call it
    torch.isclose = lambda input, other, **kwargs: torch.ones_like(input, dtype=torch.bool)
    return _honest_mse(input, target, reduction)
''', hostile)
    try:
        patched = torch.isclose, F.mse_loss
        assert grade("mse_loss", hostile, device="cpu") == expected
        assert capsys.readouterr().out == expected_report
        assert (torch.isclose, F.mse_loss) == patched       # the student's replacements are back
        assert notebook.grade is not originals[(notebook, "grade")]
        assert torch.all is originals[(torch, "all")]     # the replacement made while grading is undone
    finally:
        for (owner, name), value in originals.items():
            setattr(owner, name, value)


def test_pytest_plugins_named_in_the_environment_do_not_change_the_verdict(monkeypatch, capsys):
    """A cell that registers a plugin through PYTEST_PLUGINS to turn every failure into a pass."""
    import sys
    import types

    honest = reference_namespace("losses")
    exec(WRONG_MSE, honest)
    expected = graded("mse_loss", honest)
    forgery = types.ModuleType("nngrade_forgery")

    def pytest_runtest_logreport(report):
        report.outcome = "passed"

    forgery.pytest_runtest_logreport = pytest_runtest_logreport
    monkeypatch.setitem(sys.modules, "nngrade_forgery", forgery)
    monkeypatch.setenv("PYTEST_PLUGINS", "nngrade_forgery")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p nngrade_forgery")
    assert graded("mse_loss", honest) == expected < 9


def test_methods_modules_and_deletions_are_put_back_and_reinstated():
    import sys

    import torch

    from graders import notebook

    genuine_eq, genuine_isclose, genuine_testing = torch.Tensor.__eq__, torch.isclose, sys.modules["torch.testing"]
    fake = type(sys)("torch.testing")
    try:
        torch.Tensor.__eq__ = lambda self, other: True
        del torch.isclose
        sys.modules["torch.testing"] = fake
        undo = notebook._LIBRARY.restore()
        assert torch.Tensor.__eq__ is genuine_eq and torch.isclose is genuine_isclose
        assert sys.modules["torch.testing"] is genuine_testing
        notebook._LIBRARY.reinstate(undo)
        assert torch.Tensor.__eq__ is not genuine_eq and not hasattr(torch, "isclose")
        assert sys.modules["torch.testing"] is fake
    finally:
        torch.Tensor.__eq__, torch.isclose, sys.modules["torch.testing"] = genuine_eq, genuine_isclose, genuine_testing


def test_warnings_and_stderr_of_a_correct_function_cost_nothing(capfd):
    namespace = reference_namespace("losses")
    exec('''
import os, sys, warnings
_quiet_logsumexp = logsumexp
def logsumexp(input, dim):
    warnings.warn("checking my logsumexp")
    print("logsumexp called", file=sys.stderr)
    os.write(2, b"written to file descriptor 2\\n")
    return _quiet_logsumexp(input, dim)
''', namespace)
    assert graded("logsumexp", namespace) == 10.0
    out, err = capfd.readouterr()
    assert err == ""
    assert "Warnings while grading (they cost no points)" in out and "checking my logsumexp" in out


def test_the_source_scan_sees_only_the_latest_definition_of_a_function():
    from graders.checks import source_scan
    from graders.engine import loader

    history = ["", "import torch.nn.functional as F\n"
               "def mse_loss(a, b, reduction='mean'):\n    return F.mse_loss(a, b)",
               "grade('mse_loss')", "def mse_loss(a, b, reduction='mean'):\n    return ((a - b) ** 2).mean()"]
    sources = loader.kernel_history_sources({"_ih": history})
    assert source_scan.named_in_source(sources, "mse_loss", "mse_loss") == []
    sources = loader.kernel_history_sources({"_ih": history[:3]})
    assert source_scan.named_in_source(sources, "mse_loss", "mse_loss") == ["mse_loss"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_finished_notebook_runs_top_to_bottom_in_a_kernel_with_full_marks(assignment, tmp_path):
    """What a student sees after "Run All" on finished work: every cell runs (the installed package
    brings what the notebooks import), and each test cell's practice score is its full points."""
    from nbclient import NotebookClient

    from graders import notebook as practice
    from graders import plugin

    finished = nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    NotebookClient(finished, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    problems = [output for cell in finished.cells if cell.cell_type == "code" for output in cell.outputs
                if output.output_type == "error" or output.get("name") == "stderr"]
    assert problems == []
    scores = {cell.metadata["nbgrader"]["grade_id"]: float(cell.outputs[-1].data["text/plain"])
              for cell in autograder_cells(finished)}
    assert scores == {f"grade_{function}": points for function, points in practice.POINTS[assignment].items()}
    full = sum(practice.POINTS[assignment].values())
    verdict, = finished.cells[-1].outputs  # check_all: one report, as HTML and as text
    assert verdict.output_type == "display_data" and set(verdict.data) == {"text/plain", "text/html"}
    assert verdict.data["text/plain"].startswith(f"{assignment}: {full:g} / {full:g} points")
    reports = [output.data["text/plain"] for cell in finished.cells if cell.cell_type == "code"
               for output in cell.outputs if output.output_type == "display_data"]
    notes = sum(report.count("this computer has no") for report in reports)
    assert notes == (0 if all(plugin.device_available(device) for device in plugin.DEVICES) else 1)


# ----------------------------------------------------------------------------- the whole workflow

ASSIGNMENT = "losses"
SEED = 20240917  # graded on inputs the students never saw
EVERYONE = ["alice", "bob", "carol", "ivan", "mallory", "oscar", "peggy", "sybil", "trent", "victor"]

NOISY_LOGSUMEXP = '''
import os, sys, warnings


def logsumexp(input, dim):
    """log(sum(exp(input))) along `dim`, computed so that no exponential can overflow."""
    warnings.warn("checking my logsumexp")
    print("logsumexp called", file=sys.stderr)
    os.write(2, b"written to file descriptor 2\\n")
    peak = input.amax(dim=dim, keepdim=True).detach()
    return (peak + torch.log(torch.exp(input - peak).sum(dim=dim, keepdim=True))).squeeze(dim)
'''

PATCHES = '''
import torch
import torch.nn.functional as F
import graders.notebook

torch.testing.assert_close = lambda *args, **kwargs: None
torch.isclose = lambda input, other, **kwargs: torch.ones_like(input, dtype=torch.bool)
torch.allclose = lambda *args, **kwargs: True
F.mse_loss = lambda input, target, reduction="mean": mse_loss(input, target, reduction)
graders.notebook.grade = lambda *args, **kwargs: 9.0

'''

# Cheats, each added to a notebook whose honest score is known. They name the course's real paths,
# as a student who guessed them would.
IMPORTS_THE_SOLUTIONS = '''
import pathlib
try:
    from solutions.losses import *  # the reference, wherever the grading process could import it from
except Exception:
    pass
try:
    import graders
    exec(pathlib.Path(graders.__file__).resolve().parents[1].joinpath("solutions", "losses.py").read_text())
except Exception:
    pass
'''

WALKS_THE_STACK = '''
import gc, sys


def _forge(objects):
    for value in objects:
        if type(value).__name__ == "Scoreboard":
            for check in value.checks.values():
                check.outcome, check.message = "passed", ""
        if type(value).__name__ == "Check":
            value.outcome, value.score = "passed", value.max_score


_forge(gc.get_objects())
_wrong_mse = mse_loss


def mse_loss(input, target, reduction="mean"):
    frame = sys._getframe()
    while frame is not None:
        _forge(list(frame.f_locals.values()))
        frame = frame.f_back
    return _wrong_mse(input, target, reduction)
'''

PLUGIN_THROUGH_THE_ENVIRONMENT = '''
import os, sys, types

_forgery = types.ModuleType("nngrade_forgery")


def _passes(report):
    report.outcome = "passed"


_forgery.pytest_runtest_logreport = _passes
sys.modules["nngrade_forgery"] = _forgery
os.environ["PYTEST_PLUGINS"] = "nngrade_forgery"
os.environ["PYTEST_ADDOPTS"] = "-p nngrade_forgery"
'''

VANDAL_AND_DAEMON = '''
import ctypes, os, time

GRADEBOOK = {gradebook!r}


def _vandalise():
    for path in (GRADEBOOK, os.path.join(os.getcwd(), "gradebook.db")):
        try:
            import sqlite3
            with sqlite3.connect(path, timeout=1) as connection:
                connection.execute("UPDATE grade SET auto_score = 0, manual_score = 0")
        except Exception:
            pass
        try:
            with open(path, "r+b") as database:
                database.seek(4096)
                database.write(b"vandalised" * 100)
        except Exception:
            pass


_vandalise()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(15, {tag!r}.encode(), 0, 0, 0)  # PR_SET_NAME: the test looks for it
        for _ in range(120):
            time.sleep(0.5)
            _vandalise()
    os._exit(0)
'''

READS_ANOTHER_STUDENT = '''
import json

try:
    with open({alice!r}) as handle:
        _theirs = json.load(handle)
    exec("\\\\n".join("".join(cell["source"]) for cell in _theirs["cells"]
                     if cell.get("metadata", {{}}).get("nbgrader", {{}}).get("solution")), globals())
except Exception:
    pass
'''


def nbgrader(course, *args, env=None):
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course["root"],
                          env=env or course["env"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-5000:]}"
    return time.perf_counter() - started, done


def reference_bodies(source) -> dict[str, str]:
    """grade_id -> the solution cell's code, as a student who gets everything right writes it."""
    return {cell.metadata["nbgrader"]["grade_id"]: "\n".join(
        line for line in cell.source.splitlines() if line.strip() not in SOLUTION_MARKERS)
        for cell in solution_cells(source)}


def submit(root, student, notebook, files=None):
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def with_cells(release, bodies: dict[str, str]):
    notebook = nbformat.from_dict(release)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in bodies:
            cell.source = bodies[grade_id]
    return notebook


def processes_named(name: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() == name:
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with the losses assignment, honest students and cheats, graded twice: by
    `nbgrader autograde` into one gradebook and by `nngrade grade --gradebook` into a copy of it,
    each followed by `nbgrader generate_feedback`."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "exercises" / ASSIGNMENT, root / "exercises" / ASSIGNMENT)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    # nbgrader loads nbgrader_config.py, which imports this checkout's graders, whatever else is installed.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("NNGRADE_SEED", None)
    books = tmp_path_factory.mktemp("gradebooks")
    tag = f"nngd{os.getpid() % 100000:05d}{int(time.time()) % 1000:03d}"
    course = {"root": root, "env": env, "db": f"sqlite:///{books / 'gradebook.db'}",
              "db2": f"sqlite:///{books / 'by-nngrade.db'}", "timings": {}, "daemon": tag}

    course["timings"]["generate_assignment"], _ = nbgrader(course, "generate_assignment", ASSIGNMENT,
                                                           f"--db={course['db']}")
    shutil.copy(books / "gradebook.db", books / "by-nngrade.db")
    release = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(root / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    right = reference_bodies(source)
    one_mistake = {**right, "mse_loss": right["mse_loss"].split("\n\n\ndef mse_loss")[0] + "\n\n" + WRONG_MSE,
                   "logsumexp": NOISY_LOGSUMEXP}
    alice_notebook = root / "submitted" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

    submit(root, "alice", with_cells(release, right))                 # the reference
    submit(root, "bob", with_cells(release, {}))                      # the release, untouched
    submit(root, "carol", with_cells(release, one_mistake))           # one mistake; a noisy, right logsumexp
    submit(root, "ivan", source)                                      # the instructor's source notebook

    # mallory: carol's code, plus every trick below.
    mallory = with_cells(release, {
        **one_mistake,
        # replaces what the graders compare with, when the cell runs and while her function runs
        "mse_loss": PATCHES + one_mistake["mse_loss"].replace(
            "    losses = (input - target) ** 2",
            "    torch.testing.assert_close = lambda *args, **kwargs: None\n    losses = (input - target) ** 2"),
        # replaces the grading function that the last test cell calls, with one that claims too much
        "bce": right["bce"] + "\n\n\ngrade = lambda function: 1000.0\n"})
    tampered = next(c for c in mallory.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "grade_mse_loss")
    tampered.source = "9.0"                            # edits a test cell
    tampered.metadata["nbgrader"]["points"] = 90
    mallory.cells = [c for c in mallory.cells          # deletes another
                     if c.metadata.get("nbgrader", {}).get("grade_id") != "grade_cross_entropy"]
    submit(root, "mallory", mallory, files={           # hands in a fake grader and a broken torch
        "graders/__init__.py": "", "graders/notebook.py": "def grade(function):\n    return 9.0\n",
        "torch.py": "raise ImportError('a torch handed in with the submission')\n"})

    # Cheats whose honest work is the untouched release (0) or carol's (one mistake).
    submit(root, "oscar", with_cells(release, {"bce": IMPORTS_THE_SOLUTIONS}))
    submit(root, "peggy", with_cells(release, {**one_mistake, "mse_loss": one_mistake["mse_loss"] + WALKS_THE_STACK}))
    submit(root, "sybil", with_cells(release, {**one_mistake, "bce": right["bce"] + PLUGIN_THROUGH_THE_ENVIRONMENT}))
    submit(root, "trent", with_cells(release, {
        **one_mistake, "bce": right["bce"] + VANDAL_AND_DAEMON.format(gradebook=str(books / "gradebook.db"),
                                                                      tag=tag)}))
    submit(root, "victor", with_cells(release, {"bce": READS_ANOTHER_STUDENT.format(alice=str(alice_notebook))}))

    graded_env = {**env, "NNGRADE_SEED": str(SEED)}
    course["timings"]["autograde"], course["autograde"] = nbgrader(course, "autograde", ASSIGNMENT,
                                                                   f"--db={course['db']}", env=graded_env)
    course["daemons after autograde"] = processes_named(tag)
    course["timings"]["generate_feedback"], course["generate_feedback"] = nbgrader(
        course, "generate_feedback", ASSIGNMENT, f"--db={course['db']}")
    course["timings"]["export"], course["export"] = nbgrader(course, "export", "--to", str(root / "grades.csv"),
                                                             f"--db={course['db']}")

    started = time.perf_counter()
    course["nngrade"] = subprocess.run(
        [sys.executable, "-m", "graders.cli", "grade", root / "submitted", "--assignment", ASSIGNMENT,
         "--seed", str(SEED), "--out", root / "graded", "--gradebook", course["db2"],
         "--autograded", root / "autograded-by-nngrade"], cwd=root, env=env, capture_output=True, text=True,
        timeout=900)
    course["timings"]["nngrade grade"] = time.perf_counter() - started
    course["daemons after nngrade"] = processes_named(tag)
    course["timings"]["generate_feedback (nngrade)"], _ = nbgrader(
        course, "generate_feedback", ASSIGNMENT, f"--db={course['db2']}",
        "--CourseDirectory.autograded_directory=autograded-by-nngrade",
        "--CourseDirectory.feedback_directory=feedback-by-nngrade")
    print("\ntimings (s):", {k: round(v, 1) for k, v in course["timings"].items()})
    return course


def cell_scores(course, student, db="db") -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(course[db]) as gradebook:
        notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        assert not notebook.needs_manual_grade
        return {grade.cell.name.removeprefix("grade_"): grade.score for grade in notebook.grades}


def total(course, student, db="db"):
    from nbgrader.api import Gradebook

    with Gradebook(course[db]) as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        return submission.score, submission.max_score


def autograded(course, student, folder="autograded"):
    path = course["root"] / folder / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return nbformat.read(path, as_version=4)


def autograder_cell(notebook, function):
    return next(cell for cell in autograder_cells(notebook)
                if cell.metadata["nbgrader"]["grade_id"] == f"grade_{function}")


def check_scores(course, student) -> dict[str, float]:
    """What `nngrade check` gives the same submitted notebook, on the same inputs."""
    board = runner.grade(course["root"] / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", ASSIGNMENT,
                      seed=SEED)
    return {function: score for function, (score, _) in board.by_function().items()}


def test_generate_assignment_registers_every_test_cell_with_its_points(course):
    from nbgrader.api import Gradebook

    from graders import notebook

    with Gradebook(course["db"]) as gradebook:
        cells = gradebook.find_notebook(ASSIGNMENT, ASSIGNMENT).grade_cells
        assert {cell.name: cell.max_score for cell in cells} == {
            f"grade_{function}": points for function, points in notebook.POINTS[ASSIGNMENT].items()}
    release = (course["root"] / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert release == (ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()


FULL_MARKS = {"mse_loss": 9, "logsumexp": 10, "cross_entropy": 12, "binary_cross_entropy_with_logits": 11}
ZERO = {function: 0 for function in FULL_MARKS}


@pytest.mark.parametrize("student", ["alice", "ivan"])
def test_the_reference_and_the_source_notebook_get_full_marks(course, student):
    assert cell_scores(course, student) == FULL_MARKS
    assert total(course, student) == (42, 42)


def test_the_untouched_release_gets_zero(course):
    assert cell_scores(course, "bob") == ZERO
    assert total(course, "bob") == (0, 42)


def test_one_mistake_gets_partial_credit_in_that_cell_only(course):
    scores = cell_scores(course, "carol")
    assert 0 < scores["mse_loss"] < 9
    assert {k: v for k, v in scores.items() if k != "mse_loss"} == {k: v for k, v in FULL_MARKS.items()
                                                                    if k != "mse_loss"}
    report = autograder_cell(autograded(course, "carol"), "mse_loss").outputs[0].data["text/plain"]
    assert "mse_loss: " + f"{scores['mse_loss']:g} / 9 points" in report and "times the mean" in report


@pytest.mark.parametrize("student, honest", [("oscar", "bob"), ("victor", "bob"), ("sybil", "carol"),
                                             ("trent", "carol")])
def test_a_cheat_earns_exactly_its_honest_score(course, student, honest):
    """oscar imports the reference solutions, victor reads alice's notebook, sybil registers a pytest
    plugin through the environment, trent rewrites the gradebook and leaves a daemon to do it again."""
    assert cell_scores(course, student) == cell_scores(course, honest)
    assert cell_scores(course, student, "db2") == cell_scores(course, honest, "db2")


def test_a_cheat_who_walks_the_stack_scores_zero_and_is_flagged(course):
    """peggy walks the stack to the scoreboard: tampering with the grading machinery, which scores the
    whole submission zero, in both paths, and flags it for review."""
    assert cell_scores(course, "peggy") == ZERO and cell_scores(course, "peggy", "db2") == ZERO
    report = json.loads((course["root"] / "graded" / "peggy.json").read_text())
    assert report["extra_data"]["status"] == "flagged for review" and report["extra_data"]["flagged"]


def test_no_cheat_changes_another_students_grade_or_outlives_the_grading(course):
    assert course["daemons after autograde"] == [] and course["daemons after nngrade"] == []
    time.sleep(1.5)  # a daemon that escaped would vandalise the gradebook again by now
    assert processes_named(course["daemon"]) == []
    for db in ("db", "db2"):
        assert cell_scores(course, "alice", db) == FULL_MARKS
        assert total(course, "alice", db) == (42, 42)


@pytest.mark.parametrize("student", EVERYONE)
def test_autograde_nngrade_grade_and_nngrade_check_agree(course, student):
    assert course["nngrade"].returncode == 0, course["nngrade"].stderr
    assert cell_scores(course, student) == cell_scores(course, student, "db2")
    if student in ("alice", "carol", "peggy"):  # nngrade check on the same file, too (seconds each)
        assert cell_scores(course, student) == pytest.approx(check_scores(course, student))


def test_warnings_and_stderr_of_a_right_answer_cost_nothing(course):
    cell = autograder_cell(autograded(course, "carol"), "logsumexp")
    assert [o.output_type for o in cell.outputs] == ["display_data", "execute_result"]
    assert cell.outputs[0].data["text/plain"].startswith("logsumexp: 10 / 10 points")
    assert "logsumexp: 10 / 10 points" in cell.outputs[0].data["text/html"]
    assert cell_scores(course, "carol")["logsumexp"] == 10


def test_a_tampered_test_cell_is_restored_and_tricks_earn_nothing(course):
    notebook = autograded(course, "mallory")
    assert autograder_cell(notebook, "mse_loss").source == 'grade("mse_loss")'
    assert autograder_cell(notebook, "cross_entropy").source.endswith('grade("cross_entropy")')  # put back
    carol, mallory = cell_scores(course, "carol"), cell_scores(course, "mallory")
    assert mallory == carol
    folder = course["root"] / "autograded" / "mallory" / ASSIGNMENT
    assert sorted(p.name for p in folder.rglob("*")) == [f"{ASSIGNMENT}.ipynb"]  # no handed-in code copied


def test_a_replaced_grade_function_changes_nothing(course):
    """Under autograde no test cell runs in the student's kernel: the engine's verdict is recorded."""
    assert cell_scores(course, "mallory")["binary_cross_entropy_with_logits"] == 11
    cell = autograder_cell(autograded(course, "mallory"), "binary_cross_entropy_with_logits")
    assert [o.output_type for o in cell.outputs] == ["display_data", "execute_result"]
    assert cell.outputs[1].data["text/plain"] == "11.0"


@pytest.mark.parametrize("feedback", ["feedback", "feedback-by-nngrade"])
def test_feedback_shows_the_scores_and_nothing_the_student_must_not_see(course, feedback):
    db = "db" if feedback == "feedback" else "db2"
    source = nbformat.read(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    secret_lines = {line.strip() for body in reference_bodies(source).values() for line in body.splitlines()
                    if line.strip() and not line.strip().startswith(("def ", '"""', "return losses", "raise"))}
    secret_lines -= {line.strip() for cell in solution_cells(nbformat.read(
        ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)) for line in cell.source.splitlines()}
    assert secret_lines
    for student in EVERYONE:
        page = (course["root"] / feedback / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        score, top = total(course, student, db)
        assert f"Score: {round(score, 2)} / {float(top)}" in text
        assert "No module named 'graders.notebook'" not in text  # the practice cell is not the student's error
        for secret in ("BEGIN HIDDEN", str(SEED), "NNGRADE_SEED") + (SOLUTION_MARKERS if student != "ivan" else ()):
            assert secret not in text, (student, secret)
        if student in ("bob", "oscar", "victor"):
            assert not [line for line in secret_lines if line in text]


def test_both_paths_write_the_same_test_cell_reports(course):
    for student in ("alice", "carol"):
        ours, theirs = autograded(course, student, "autograded-by-nngrade"), autograded(course, student)
        for function in FULL_MARKS:
            assert autograder_cell(ours, function).outputs == autograder_cell(theirs, function).outputs
        assert ours.cells[-1].outputs == theirs.cells[-1].outputs  # the check_all cell's totals


def test_the_check_all_cell_of_the_autograded_notebook_holds_the_totals(course):
    cell = autograded(course, "carol").cells[-1]
    assert cell.source == f'check_all("{ASSIGNMENT}")'
    text = cell.outputs[0].data["text/plain"]
    score, top = total(course, "carol")
    assert text.startswith(f"Total: {score:g} / {top:g} points\n")
    assert re.search(r"^  logsumexp +10 / 10$", text, re.M)


@pytest.mark.parametrize("step", ["autograde", "generate_feedback", "export", "nngrade"])
def test_grading_prints_no_warning_from_our_configuration(course, step):
    """No Python warning (SQLAlchemy's SAWarning included) and no complaint about the configuration in
    what autograde, feedback, export and nngrade grade print: their logs only."""
    done = course[step]
    output = done.stdout + done.stderr
    assert not re.search(r"\w*Warning: ", output), output[-3000:]
    assert "Config option" not in output and "not recognized" not in output


def test_export_lists_every_student_with_the_gradebook_scores(course):
    import csv

    with open(course["root"] / "grades.csv") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(EVERYONE)
    assert float(rows["carol"]["score"]) == total(course, "carol")[0]
