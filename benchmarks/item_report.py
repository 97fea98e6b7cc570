"""How long `nngrade report` takes on a large class, without grading one.

Writes N synthetic results.json files for the `losses` assignment, shaped like those `nngrade grade`
writes (its real check names, several parametrized cases per check, failure messages with and
without hints, a few students timed out or unreadable), then times `nngrade report` on them, as a
command and in-process.

    python benchmarks/item_report.py [--students 500]
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from graders.engine import item_report

ROOT = Path(__file__).resolve().parents[1]

ASSIGNMENT = "losses"
CASES = ["cpu-float32-mean", "cpu-float32-sum", "cpu-float32-none", "cpu-float64-mean", "cpu-float64-sum"]
MESSAGE = ("{function}(<float32 tensor of shape (4, 3, 2)>, reduction='mean') on cpu: the values differ.\n"
           "  Expected: tensor(2.6939)\n  Got:      tensor(64.6548)\n"
           "  Absolute difference: 61.96 (up to 1e-05 allowed)\n  Relative difference: 23.0 (up to 1.3e-06 allowed)")


def synthetic_class(folder: Path, students: int, rng: random.Random):
    checks = item_report.declared_functions(ASSIGNMENT)
    functions = sorted(set(checks.values()))
    hardness = {check: rng.uniform(-2.0, 1.5) for check in checks}
    hints = {check: [f"mistake {index} of {check}: {rng.choice(['a sum', 'no max shift', 'in place'])}"
                     for index in range(rng.randint(0, 3))] for check in checks}
    for number in range(students):
        ability = rng.gauss(0.0, 1.0)
        tests, earned = [], {function: [0.0, 0.0] for function in functions}
        for check, function in checks.items():
            passed = rng.random() > 1 / (1 + 2.718 ** (hardness[check] - ability))
            hint = rng.choice(hints[check] + [None]) if not passed else None
            for case in CASES[:rng.randint(1, len(CASES))]:
                output = "" if passed else MESSAGE.format(function=function) + (f"\n  Hint: {hint}" if hint else "")
                tests.append({"name": f"{check}[{case}]", "score": 0.2 * passed, "max_score": 0.2,
                              "status": "passed" if passed else "failed", "output": output})
                earned[function][0] += 0.2 * passed
                earned[function][1] += 0.2
        status = rng.choices(["graded", "timed out", "unreadable"], weights=[96, 3, 1])[0]
        report = {"score": round(sum(score for score, _ in earned.values()), 4), "tests": tests, "extra_data": {
            "assignment": ASSIGNMENT, "max_score": round(sum(top for _, top in earned.values()), 4),
            "devices": ["cpu"], "student": f"student{number:04d}", "status": status,
            "functions": {name: {"score": round(s, 4), "max_score": round(m, 4)} for name, (s, m) in earned.items()}}}
        (folder / f"student{number:04d}.json").write_text(json.dumps(report, indent=2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=500)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        graded = Path(scratch) / "graded"
        graded.mkdir()
        synthetic_class(graded, options.students, random.Random(0))
        size = sum(path.stat().st_size for path in graded.glob("*.json")) / 2 ** 20
        print(f"{options.students} synthetic results.json files, {size:.1f} MiB")

        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "graders.cli", "report", str(graded)], cwd=ROOT,
                              capture_output=True, text=True)
        command = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(done.stderr)
        started = time.perf_counter()
        written, _ = item_report.write_report([graded], Path(scratch) / "again.html")
        in_process = time.perf_counter() - started
        print(f"nngrade report: {command:.2f} s as a command, {in_process:.2f} s in-process; "
              f"HTML {written[0].stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
