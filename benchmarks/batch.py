"""`nngrade grade` against `nbgrader autograde` on the same class, in one run.

Builds a temporary course with N submissions of the `losses` notebook (a mix of correct, partly
wrong, stub and hostile), runs the real `nbgrader autograde` on all of them and `nngrade grade` on the
same submitted/ tree, and prints both times, the ratio, and whether every student's score per
function agrees.

    python benchmarks/batch.py [--students 12] [--workers 2]
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "losses"
MISTAKES = {
    "correct": None,
    "sum_not_mean": ("mse_loss", 'def mse_loss(input, target, reduction="mean"):\n'
                                 '    return apply_reduction((input - target) ** 2, "sum")'),
    "naive_logsumexp": ("logsumexp", "def logsumexp(input, dim):\n    return torch.log(torch.exp(input).sum(dim=dim))"),
    "stub": "stub",
    "exits": ("cross_entropy", 'def cross_entropy(input, target, reduction="mean"):\n    import os\n    os._exit(0)'),
}


def student_notebook(kind) -> nbformat.NotebookNode:
    if kind == "stub":
        return nbformat.read(ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    notebook = nbformat.read(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            cell.source = "\n".join(line for line in cell.source.splitlines()
                                    if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
            if kind is not None and f"def {kind[0]}(" in cell.source:
                cell.source += "\n\n\n" + kind[1] + "\n"
    return notebook


def run(command, cwd, must_succeed=True):
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0 and must_succeed:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--workers", type=int, default=0)
    options = parser.parse_args()
    course = Path(tempfile.mkdtemp(prefix="nngrade-bench-"))
    shutil.copytree(ROOT / "exercises", course / "exercises")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    db = f"sqlite:///{course}/gradebook.db"
    run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
         f"--CourseDirectory.db_url={db}"], course)
    kinds = list(MISTAKES)
    for number in range(options.students):
        folder = course / "submitted" / f"student{number:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(student_notebook(MISTAKES[kinds[number % len(kinds)]]), folder / f"{ASSIGNMENT}.ipynb")
    # nbgrader exits non-zero when any notebook kills its kernel; it still grades the others.
    nbgrader_seconds = run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force",
                            f"--CourseDirectory.db_url={db}"], course, must_succeed=False)
    nngrade_seconds = run([sys.executable, "-m", "graders.cli", "grade", course / "submitted", "--assignment",
                           ASSIGNMENT, "--out", course / "graded", "--workers", str(options.workers), "--force"],
                          ROOT)
    from nbgrader.api import Gradebook

    disagreements, ungraded = [], []
    with Gradebook(db) as book:
        for report_path in sorted((course / "graded").glob("*.json")):
            report = json.loads(report_path.read_text())
            if not (course / "autograded" / report_path.stem / ASSIGNMENT).is_dir():
                ungraded.append(f"{report_path.stem} (nngrade: {report['score']:g})")
                continue
            for function, scores in report["extra_data"]["functions"].items():
                theirs = book.find_grade(f"grade_{function}", ASSIGNMENT, ASSIGNMENT, report_path.stem).score
                if abs(theirs - scores["score"]) > 1e-6:
                    disagreements.append(f"{report_path.stem} {function}: nbgrader {theirs}, nngrade {scores['score']}")
    print(f"{options.students} submissions ({', '.join(kinds)}, in turn)")
    print(f"nbgrader autograde   {nbgrader_seconds:7.1f} s   {nbgrader_seconds / options.students:5.2f} s each")
    print(f"nngrade grade        {nngrade_seconds:7.1f} s   {nngrade_seconds / options.students:5.2f} s each")
    print(f"speed-up             {nbgrader_seconds / nngrade_seconds:7.1f} x")
    if ungraded:
        print(f"nbgrader gave up on {len(ungraded)} (the kernel died; it keeps zeros): {', '.join(ungraded)}")
    print("scores agree on every student and function nbgrader graded" if not disagreements else
          "DISAGREEMENTS:\n  " + "\n  ".join(disagreements))
    shutil.rmtree(course, ignore_errors=True)
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
