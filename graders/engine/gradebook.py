"""Writing batch scores into nbgrader's gradebook the way `nbgrader autograde` does, so that
`nbgrader export`, formgrader and `nbgrader generate_feedback` serve students graded by `nngrade grade`.

The assignment must already be in the gradebook (`nbgrader generate_assignment` puts it there, with
one grade cell per graded function, named `grade_<function>`); `check` says so before any grading.
"""

from __future__ import annotations

from pathlib import Path


class GradebookError(Exception):
    pass


def sqlite_path(db_url: str) -> Path | None:
    """The file of a `sqlite:///path` gradebook; None for a gradebook elsewhere (another database)."""
    return Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite:///") else None


def check(db_url: str, assignment: str, points: dict[str, float]):
    """Fail unless the gradebook holds `assignment` with one grade cell per graded function, worth
    the points its graders declare."""
    from nbgrader.api import Gradebook, MissingEntry

    if sqlite_path(db_url) is not None and not sqlite_path(db_url).is_file():
        raise GradebookError(f"no gradebook at {db_url}; run `nbgrader generate_assignment {assignment}` "
                             "in the course folder first")
    try:
        with Gradebook(db_url) as book:
            try:
                notebook = book.find_notebook(assignment, assignment)
            except MissingEntry:
                raise GradebookError(f"assignment {assignment!r} (notebook {assignment}.ipynb) is not in the "
                                     f"gradebook {db_url}; run `nbgrader generate_assignment {assignment}` "
                                     "first") from None
            cells = {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
    except GradebookError:
        raise
    except Exception as error:  # noqa: BLE001 - SQLAlchemy's errors: a file that is not a gradebook
        raise GradebookError(f"cannot read the gradebook {db_url}: {str(error).splitlines()[0]}") from None
    wanted = {f"grade_{function}": float(value) for function, value in points.items()}
    if cells != wanted:
        differences = [f"{name}: gradebook {cells.get(name, 'missing')}, graders {wanted.get(name, 'none')}"
                       for name in sorted(cells.keys() | wanted.keys()) if cells.get(name) != wanted.get(name)]
        raise GradebookError(f"the gradebook's grade cells for {assignment} do not match its graders ("
                             + "; ".join(differences) + "); run `nbgrader generate_assignment` again")


def quiet_session_warnings():
    """Filter the SAWarning that nbgrader 0.9's Gradebook.add_submission causes under SQLAlchemy 2
    ("Object of type <SubmittedAssignment> not in session"): it builds a submission's objects before
    it adds them to the session, and adds them right after, so nothing is lost."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session, add operation along",
                            category=SAWarning)


def record(db_url: str, assignment: str, reports: dict):
    """For each student with a report: create the submission and set each grade cell's auto score."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    with warnings.catch_warnings(), Gradebook(db_url) as book:
        quiet_session_warnings()
        try:
            book.find_assignment(assignment)
        except MissingEntry:
            raise GradebookError(f"assignment {assignment!r} is not in the gradebook {db_url}; "
                                 "run `nbgrader generate_assignment` first") from None
        for student, report in sorted(reports.items()):
            if not report:
                continue
            functions = report["extra_data"].get("functions", {})
            book.update_or_create_student(student)
            book.update_or_create_submission(assignment, student)
            notebook = book.find_submission_notebook(assignment, assignment, student)
            for grade in notebook.grades:
                function = grade.cell.name.removeprefix("grade_")
                earned = functions.get(function, {}).get("score", 0.0)
                grade.auto_score = min(float(earned), float(grade.max_score))
                grade.needs_manual_grade = grade.manual_score is not None
            book.db.commit()


def course_config(course_root: Path):
    """The course's nbgrader configuration (its nbgrader_config.py), or None when it has none."""
    from traitlets.config.loader import PyFileConfigLoader

    if not (course_root / "nbgrader_config.py").is_file():
        return None
    return PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config()
