"""How much isolation costs: `nngrade check` on the reference solution, in-process against isolated,
against the floor of one `import torch`; and the notebook's first `grade(...)` cell against `import
torch` in the same kind of process (a kernel that has run the notebook's grader cell). Each command
runs `--repeat` times in fresh processes on this machine, one after the other; the script prints the
median times and their ratios.

    python benchmarks/isolation.py [--assignment losses] [--repeat 3]
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def median_seconds(command, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# A kernel's view: how long `import torch` takes, then the grader cell (`import graders.notebook`), the
# student's definitions, and the first `grade(...)` cell, timed alone.
NOTEBOOK = """
import contextlib, io, sys, time
started = time.perf_counter(); import torch; imported = time.perf_counter() - started
started = time.perf_counter(); import graders.notebook as notebook; grader_cell = time.perf_counter() - started
namespace = {}
exec(open(sys.argv[1]).read(), namespace)
function = next(iter(notebook.POINTS[sys.argv[2]]))
with contextlib.redirect_stdout(io.StringIO()):
    started = time.perf_counter(); notebook.grade(function, namespace); graded = time.perf_counter() - started
print(imported, grader_cell, graded)
"""


def notebook_seconds(reference: Path, assignment: str, repeat: int) -> tuple[float, float, float]:
    """Medians of (import torch, the grader cell, the first grade(...) cell) in fresh processes."""
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", NOTEBOOK, str(reference), assignment], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        runs.append(tuple(map(float, done.stdout.split()[-3:])))
    return tuple(statistics.median(run[column] for run in runs) for column in range(3))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="losses")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    reference = ROOT / "solutions" / f"{options.assignment}.py"
    check = [sys.executable, "-m", "graders.cli", "check", str(reference), "--device", "cpu"]
    floor = median_seconds([sys.executable, "-c", "import torch"], options.repeat)
    inprocess = median_seconds([*check, "--isolation", "none"], options.repeat)
    isolated = median_seconds([*check, "--isolation", "process"], options.repeat)
    print(f"import torch alone          {floor:6.2f} s")
    print(f"check, in-process           {inprocess:6.2f} s   {inprocess / floor:5.2f} x import torch")
    print(f"check, isolated             {isolated:6.2f} s   {isolated / floor:5.2f} x import torch   (goal: 1.5x)")
    print(f"isolated / in-process       {isolated / inprocess:6.2f}")
    in_kernel, grader_cell, first_grade = notebook_seconds(reference, options.assignment, options.repeat)
    print(f"notebook: import torch      {in_kernel:6.2f} s")
    print(f"notebook: the grader cell   {grader_cell:6.2f} s   (import graders.notebook, once per kernel)")
    print(f"notebook: first grade(...)  {first_grade:6.2f} s   {first_grade / in_kernel:5.2f} x import torch   "
          "(goal: 1.5x)")


if __name__ == "__main__":
    main()
