"""Writing batch scores into nbgrader's gradebook the way `nbgrader autograde` does, so that
`nbgrader export` and formgrader show them.

The assignment must already be in the gradebook (`nbgrader generate_assignment` puts it there, with
one grade cell per graded function, named `grade_<function>`).
"""

from __future__ import annotations


class GradebookError(Exception):
    pass


def record(db_url: str, assignment: str, reports: dict):
    """For each student with a report: create the submission and set each grade cell's auto score."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as book:
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
