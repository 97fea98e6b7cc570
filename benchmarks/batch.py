"""`nngrade grade` against `nbgrader autograde` on the same class, in one run.

Builds a temporary course with N submissions of the `losses` notebook (a third correct, a third the
untouched release, a third with one function left unsolved), grades them with nbgrader as nbgrader
runs alone (each notebook executed in a kernel), with `nbgrader autograde` under the shipped
nbgrader_config.py (the isolated engine in nbgrader's process), and with `nngrade grade`; prints the
times, the ratios, and whether every student's score per function agrees. Then it grades a class of
`--large` the same way with `nngrade grade` and prints the ratio against nbgrader's time per student
measured above (a kernel per notebook: its time grows with the class, one notebook at a time).

    python benchmarks/batch.py [--students 30] [--large 200] [--workers 0]
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
# The function left unsolved in the third kind of submission, in turn.
UNSOLVED = ["mse_loss", "logsumexp", "cross_entropy", "binary_cross_entropy_with_logits"]


def student_notebook(number: int) -> nbformat.NotebookNode:
    """Student `number`: correct, the release, or correct but for one function, in turn."""
    if number % 3 == 1:
        return nbformat.read(ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    notebook = nbformat.read(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    unsolved = UNSOLVED[number // 3 % len(UNSOLVED)] if number % 3 == 2 else None
    release = nbformat.read(ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    stubs = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in release.cells
             if cell.metadata.get("nbgrader", {}).get("solution")}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            stub = stubs[meta["grade_id"]]
            if unsolved and f"def {unsolved}(" in cell.source and "raise NotImplementedError()" in stub:
                cell.source = stub
            cell.source = "\n".join(line for line in cell.source.splitlines()
                                    if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
    return notebook


# nbgrader as it runs alone: the shipped configuration with nbgrader's own autograde steps (Execute runs
# each notebook in a kernel, where the test cells' practice `grade` scores it).
KERNEL_CONFIG = """
exec(open("shipped_config.py").read())
from nbgrader.converters.autograde import Autograde as _Autograde
c.Autograde.autograde_preprocessors = list(_Autograde.class_traits()["autograde_preprocessors"].default())
"""


def run(command, cwd, must_succeed=True):
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0 and must_succeed:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def make_course(students: int) -> tuple[Path, str]:
    course = Path(tempfile.mkdtemp(prefix="nngrade-bench-"))
    shutil.copytree(ROOT / "exercises", course / "exercises")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copy(ROOT / "nbgrader_config.py", course / "shipped_config.py")
    db = f"sqlite:///{course}/gradebook.db"
    run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
         f"--CourseDirectory.db_url={db}"], course)
    for number in range(students):
        folder = course / "submitted" / f"student{number:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(student_notebook(number), folder / f"{ASSIGNMENT}.ipynb")
    return course, db


def disagreements(course: Path, db: str) -> list[str]:
    from nbgrader.api import Gradebook

    found = []
    with Gradebook(db) as book:
        for report_path in sorted((course / "graded").glob("*.json")):
            report = json.loads(report_path.read_text())
            for function, scores in report["extra_data"]["functions"].items():
                theirs = book.find_grade(f"grade_{function}", ASSIGNMENT, ASSIGNMENT, report_path.stem).score
                if abs(theirs - scores["score"]) > 1e-6:
                    found.append(f"{report_path.stem} {function}: nbgrader {theirs}, nngrade {scores['score']}")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--large", type=int, default=200, help="the class size of the second, nngrade-only run")
    parser.add_argument("--workers", type=int, default=0)
    options = parser.parse_args()
    course, db = make_course(options.students)
    autograde = [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force", f"--CourseDirectory.db_url={db}"]
    grade = [sys.executable, "-m", "graders.cli", "grade", course / "submitted", "--assignment", ASSIGNMENT,
             "--out", course / "graded", "--workers", str(options.workers), "--force"]
    (course / "nbgrader_config.py").write_text(KERNEL_CONFIG)
    # nbgrader exits non-zero when a notebook's kernel dies; it still grades the others.
    kernel_seconds = run(autograde, course, must_succeed=False)
    nngrade_seconds = run(grade, ROOT)
    # Start-up is paid once per batch, not per judge: more judges than cores costs little.
    by_workers = {workers: run([*grade[:-3], "--workers", str(workers), "--force"], ROOT) for workers in (1, 2, 4)}
    kernel_disagreements = disagreements(course, db)
    shutil.copy(course / "shipped_config.py", course / "nbgrader_config.py")
    isolated_seconds = run(autograde, course)
    isolated_disagreements = disagreements(course, db)
    shutil.rmtree(course, ignore_errors=True)

    large, _ = make_course(options.large)
    large_seconds = run([sys.executable, "-m", "graders.cli", "grade", large / "submitted", "--assignment",
                         ASSIGNMENT, "--out", large / "graded", "--workers", str(options.workers)], ROOT)
    shutil.rmtree(large, ignore_errors=True)
    estimated = kernel_seconds / options.students * options.large

    n = options.students
    print(f"{n} submissions of {ASSIGNMENT}: a third correct, a third the release, a third with one function unsolved")
    print(f"nbgrader autograde (kernels)        {kernel_seconds:7.1f} s   {kernel_seconds / n:5.2f} s each")
    print(f"nbgrader autograde (nngrade config) {isolated_seconds:7.1f} s   {isolated_seconds / n:5.2f} s each")
    print(f"nngrade grade                       {nngrade_seconds:7.1f} s   {nngrade_seconds / n:5.2f} s each")
    print(f"speed-up over nbgrader alone        {kernel_seconds / nngrade_seconds:7.1f} x   (goal: 20x)")
    print("nngrade grade by judges             " + ", ".join(f"{workers}: {seconds:.1f} s"
                                                          for workers, seconds in by_workers.items()))
    print(f"{options.large} submissions: nngrade grade {large_seconds:.1f} s; nbgrader alone at "
          f"{kernel_seconds / n:.2f} s each would take {estimated:.0f} s: "
          f"{estimated / large_seconds:.1f} x   (goal: 40x)")
    problems = kernel_disagreements + isolated_disagreements
    print("scores agree on every student and function, on all three paths" if not problems else
          "DISAGREEMENTS:\n  " + "\n  ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
