"""nbgrader's autograde, with the recorded score computed where no student code runs.

nbgrader's own `Execute` step runs a submitted notebook in a kernel as the instructor, in the course
folder: the student's cells could read the gradebook and the other students' work, and the number a
test cell prints would be whatever the student's kernel chose. `nbgrader_config.py` replaces that
step with `IsolatedGrading`: the notebook (test cells already restored by nbgrader's `OverwriteCells`)
is graded by the isolated engine exactly as `nngrade check` grades the same file, and each test cell
`grade_<function>` receives that function's report and score as its outputs. nbgrader's later steps
record the score (`SaveAutoGrades`) and build the feedback from these outputs, as usual.

`nngrade grade --gradebook` writes the same autograded notebooks (`write_autograded`), so that
`nbgrader generate_feedback` serves students graded either way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
from nbgrader import utils as nbgrader_utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from graders.engine import runner
from graders.engine.gradebook import sqlite_path
from graders.engine.report import Verdict, function_verdicts, totals_html, totals_text


class UnknownNotebook(Exception):
    """A notebook that no nngrade grader is for."""


def grader_for(resources: dict) -> str:
    """The assignment whose graders grade this notebook: its notebook name, or its assignment name."""
    known = runner.assignments()
    for name in (resources["nbgrader"]["notebook"], resources["nbgrader"]["assignment"]):
        if name in known:
            return name
    raise UnknownNotebook(f"no nngrade grader for notebook {resources['nbgrader']['notebook']!r} of assignment "
                          f"{resources['nbgrader']['assignment']!r} (graders exist for: {', '.join(known)})")


def grade_cell_function(cell) -> str | None:
    """The function an autograder cell grades (its grade id is `grade_<function>`), or None."""
    if cell.cell_type != "code" or not nbgrader_utils.is_grade(cell) or nbgrader_utils.is_solution(cell):
        return None
    return str(cell.metadata["nbgrader"].get("grade_id", "")).removeprefix("grade_")


def fill_grade_cells(notebook, verdicts: dict[str, Verdict]):
    """Give every autograder cell the outputs nbgrader reads its score from: the function's report (HTML
    for Jupyter and nbgrader's feedback, with its plain text beside it) and its score as the cell's
    result; a cell for a function without a verdict scores zero. The locked `check_all` cell gets the
    whole notebook's scores."""
    earned = {}
    for cell in notebook.cells:
        function = grade_cell_function(cell)
        if function is None:
            continue
        points = float(cell.metadata["nbgrader"]["points"])
        if function not in verdicts:
            message = f"no nngrade check grades a function named {function!r}: this test cell scores 0."
            cell.outputs = [nbformat.v4.new_output("error", ename="NotGraded", evalue=message,
                                                   traceback=[f"NotGraded: {message}"])]
            earned[function] = (0.0, points)
            continue
        verdict = verdicts[function]
        score = min(max(float(verdict.score), 0.0), points)
        earned[function] = (score, points)
        cell.outputs = [report_output(verdict.text, verdict.html),
                        nbformat.v4.new_output("execute_result", data={"text/plain": repr(score)},
                                               execution_count=None)]
        cell.execution_count = None
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade_id") == "check_all":
            cell.outputs = [report_output(totals_text(earned), totals_html(earned))]
            cell.execution_count = None


def report_output(text: str, markup: str):
    """A report as a cell output: HTML where the front end shows it, its plain text everywhere else."""
    data = {"text/plain": text, "text/html": markup} if markup else {"text/plain": text}
    return nbformat.v4.new_output("display_data", data=data)


class IsolatedGrading(NbGraderPreprocessor):
    """Grades the notebook in nngrade's isolated engine, in place of nbgrader's `Execute`.

    The student's cells run only in a confined worker (no view of the course folder, the gradebook,
    other students' work, `exercises/` or `solutions/`; nothing it starts outlives it). The judge
    runs here, in nbgrader's process, on the same inputs as `nngrade check` (`NNGRADE_SEED`
    changes them for everyone).
    """

    device = Unicode("all", help="device to grade on: cpu, cuda, mps, or all present").tag(config=True)

    def preprocess(self, nb, resources):
        assignment = grader_for(resources)
        seed = int(os.environ.get("NNGRADE_SEED", "0") or "0")
        hide = [Path.cwd().resolve()]
        database = sqlite_path(resources["nbgrader"].get("db_url", ""))
        if database is not None:  # no worker may see the gradebook's folder
            hide.append(database.resolve().parent)
        with tempfile.TemporaryDirectory(prefix="nngrade-autograde-") as scratch:
            path = Path(scratch) / f"{assignment}.ipynb"
            nbformat.write(nb, path)
            board = runner.grade(path, assignment, device=self.device, seed=seed, hide=hide)
        self.log.info("nngrade: %s graded in isolation: %g / %g", resources["nbgrader"]["student"], *board.total())
        fill_grade_cells(nb, function_verdicts(board, board.load_errors))
        return nb, resources


def write_autograded(submitted: Path, destination: Path, *, student: str, assignment: str, db_url: str,
                     verdicts: dict[str, Verdict], config=None):
    """The autograded notebook nbgrader's autograde would write for this submission: nbgrader's own
    sanitising steps (cleared outputs, restored test cells), then the test cells' verdicts."""
    from nbgrader.converters.autograde import Autograde

    notebook = nbformat.read(submitted, as_version=4)
    resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": submitted.stem,
                              "db_url": db_url}}
    steps = (config.Autograde.sanitize_preprocessors if config is not None and "sanitize_preprocessors"
             in config.Autograde else Autograde.class_traits()["sanitize_preprocessors"].default())
    for step in steps:
        notebook, resources = step(config=config).preprocess(notebook, resources)
    fill_grade_cells(notebook, verdicts)
    destination.parent.mkdir(parents=True, exist_ok=True)
    runner.write_atomically(destination, nbformat.writes(notebook))
