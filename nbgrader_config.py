"""nbgrader configuration for the nngrade course (the repository root is the course root).

Run nbgrader from the repository root, in the Python environment where nngrade is installed with its
`instructor` extra. `nbgrader autograde` does not run submissions in a kernel: its Execute step is
replaced by nngrade's isolated engine (graders/engine/autograde.py), so the score it records is the one
`nngrade check` gives the same file, computed where no student code runs.
"""

import math

import nbformat
from nbgrader import utils as nbgrader_utils
from nbgrader.converters.autograde import Autograde
from nbgrader.preprocessors import (ClearHiddenTests, Execute, GetGrades, IgnorePattern, NbGraderPreprocessor,
                                    OverwriteCells, SaveAutoGrades)
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbformat.v4.nbbase import random_cell_id
from traitlets import List

from graders.engine.autograde import IsolatedGrading
from graders.engine.gradebook import quiet_session_warnings

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

# nbgrader 0.9's gradebook builds each submission before adding it to the database session, which
# SQLAlchemy 2 reports on every autograde as "SAWarning: Object of type <SubmittedAssignment> not in
# session". nbgrader adds the object right after (api.py, add_submission), so nothing is lost.
# nbgrader supports SQLAlchemy 1.4 and 2 (sqlalchemy>=1.4,<3); holding every instructor's environment
# on the old major for a harmless message is not worth it, so this one warning is filtered instead.
quiet_session_warnings()

c.CourseDirectory.source_directory = "exercises"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# The gradebook is gradebook.db at the repository root (nbgrader's default; git ignores it), or
# wherever `--db sqlite:////path/gradebook.db` says.

# A submission is graded on its notebook alone. nbgrader copies every other file found next to a
# submitted notebook into the folder where autograde runs it, and the kernel imports from that
# folder first: a `graders/notebook.py` or a `torch.py` handed in beside the notebook would replace
# the real ones. Code files are therefore never copied (this list also applies to release and
# collect; an assignment that needs a helper module puts it in the graders package).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            "*.py", "*.so", "*.pyd", "*.pth"]

# What students get in place of each solution: an instruction, and a function that fails loudly.
c.ClearSolutions.code_stub = {
    "python": "# Write your implementation here, in place of the line below.\nraise NotImplementedError()"
}
c.ClearSolutions.text_stub = "Write your answer here."
# JupyterLab's execution timestamps are metadata that should not reach the release either.
c.ClearOutput.remove_metadata_fields = {"collapsed", "scrolled", "execution", "ExecuteTime"}

# Autograde runs no kernel (see below): the isolated engine bounds every call into a submission
# (10 s), its loading (60 s) and all of its calls together (300 s). This limit applies only where
# nbgrader's own Execute still runs (e.g. `nbgrader validate` of the source notebooks).
c.Execute.timeout = 120

# nbgrader scores a test cell that wrote anything to stderr as zero. The isolated engine writes only
# the report and the score; where a kernel does run the cells (`nbgrader validate`), the practice
# `grade` keeps warnings and stderr out of them, and what is left to filter are the lines that torch
# and numpy print when they are installed in mismatched versions, which are harmless for grading.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (r"Failed to initialize NumPy"
                           r"|A module that was compiled using NumPy 1\.x cannot be run in"
                           r"|_ARRAY_API not found")

# A test cell deleted from a submission is put back and graded (the default leaves it ungraded,
# flagged for manual grading). Edited test cells are always restored (their checksum is locked).
c.OverwriteCells.add_missing_cells = True


class OverwriteCellsWithIds(OverwriteCells):
    """OverwriteCells, giving an id to each cell it puts back: it builds them without one, which nbformat
    4.5 requires, and nbconvert validates the notebook right after this step, so every submission with
    a deleted test cell would print nbformat's MissingIDFieldWarning."""

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        for cell in nb.cells:
            if "id" not in cell:
                cell.id = random_cell_id()
        return nb, resources


_sanitize = list(Autograde.class_traits()["sanitize_preprocessors"].default())
_sanitize[_sanitize.index(OverwriteCells)] = OverwriteCellsWithIds
c.Autograde.sanitize_preprocessors = _sanitize


class ScoreOrZero(NbGraderPreprocessor):
    """An autograder cell earns the number the isolated engine wrote into it, or nothing.

    nbgrader gives a test cell full marks when it has no result, a string, a negative number or a
    numpy/torch scalar, and fails the whole notebook when the result exceeds the cell's points.
    `IsolatedGrading` always writes a plain float within the points, so any other result means the
    cell did not come from it: the cell then scores zero, with an error that says why, and the rest
    of the notebook is graded as usual.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not nbgrader_utils.is_grade(cell) or nbgrader_utils.is_solution(cell):
            return cell, resources
        points = float(cell.metadata["nbgrader"]["points"])
        for position, output in enumerate(cell.outputs):
            if output.output_type == "error" or (output.output_type == "stream" and output.name == "stderr"):
                return cell, resources  # nbgrader already scores this cell zero
            if output.output_type == "execute_result":
                text = output.get("data", {}).get("text/plain", "")
                text = "".join(text) if isinstance(text, list) else str(text)
                try:
                    value = float(text)
                except ValueError:
                    value = math.nan
                if math.isfinite(value) and 0 <= value <= points:
                    return cell, resources
                cell.outputs[position] = self._zero(
                    f"the cell returned {text[:60]!r}, which is not a score between 0 and {points:g}")
                return cell, resources
        cell.outputs.append(self._zero("the cell returned no score"))
        return cell, resources

    @staticmethod
    def _zero(reason):
        message = f"{reason}: this test cell scores 0."
        return nbformat.v4.new_output("error", ename="NoScore", evalue=message, traceback=[f"NoScore: {message}"])


# The student's notebook is never executed in a kernel here: IsolatedGrading takes Execute's place
# and fills each test cell with the isolated engine's report and score.
_autograde = list(Autograde.class_traits()["autograde_preprocessors"].default())
_autograde[_autograde.index(Execute)] = IsolatedGrading
_autograde.insert(_autograde.index(SaveAutoGrades), ScoreOrZero)
c.Autograde.autograde_preprocessors = _autograde
assert IgnorePattern in _autograde  # nbgrader runs it after grading and before the scores are saved



class FeedbackClearHiddenTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests, for the feedback converter. nbconvert's HTML exporter configures
    `display_data_priority` for every step of the conversion; nbgrader's base class declares it but
    not as configurable (its own GetGrades does), so traitlets warns "Config option
    `display_data_priority` not recognized by `ClearHiddenTests`" on every feedback run."""

    display_data_priority = List(GetGrades.class_traits()["display_data_priority"].default()).tag(config=True)


# Feedback shows the autograded notebook: the student's own code, the test cells and their reports.
# ClearHiddenTests keeps hidden tests out of it (nbgrader's default feedback would show them).
c.GenerateFeedback.preprocessors = [GetGrades, FeedbackClearHiddenTests, CSSHTMLHeaderPreprocessor]
