"""How much isolation costs: `nngrade check` on the reference solution, in-process against isolated,
against the floor of one `import torch`. Each command runs `--repeat` times in fresh processes on
this machine, one after the other; the script prints the median times and their ratios.

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
    print(f"check, isolated             {isolated:6.2f} s   {isolated / floor:5.2f} x import torch")
    print(f"isolated / in-process       {isolated / inprocess:6.2f}")


if __name__ == "__main__":
    main()
