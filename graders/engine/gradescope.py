"""Gradescope: the autograder bundle (`nngrade gradescope`) and what it runs for each submission.

The bundle is the zip Gradescope's programming assignments take: `setup.sh`, run once when Gradescope
builds the autograder's image, installs the course's torch (the CPU build) and nngrade from the wheel
beside it, which holds the graders and no solution; `run_autograder`, run for every submission, grades
`/autograder/submission` in nngrade's isolated engine and writes `/autograder/results/results.json`.
`NNGRADE_AUTOGRADER_ROOT` stands in for `/autograder`, to dry-run the bundle on another machine.

    python3 -m graders.engine.gradescope --assignment losses [--seed N]      # what run_autograder runs
"""

from __future__ import annotations

import argparse
import email.parser
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT_VARIABLE = "NNGRADE_AUTOGRADER_ROOT"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# What the wheel is built from: the package and the files its metadata names. Nothing else of the
# course repository (solutions/, exercises/, tests/) is copied anywhere near the build.
WHEEL_SOURCES = ("pyproject.toml", "README.md", "graders")


class BundleError(Exception):
    """Why the bundle cannot be built, in one line."""


SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu): Python and pip
# where the image lacks them, the course's torch (the CPU build: Gradescope's machines have no GPU,
# and PyPI's default build is several GB of CUDA), then nngrade from the wheel beside this file. The
# wheel holds the graders only: no reference solution is part of the bundle.
set -euo pipefail
cd "$(dirname "$0")"
if ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip
fi
# Newer Ubuntu images mark the system Python as externally managed; this image exists to grade.
export PIP_BREAK_SYSTEM_PACKAGES=1
python3 -m pip install --quiet --index-url {cpu_index} "{torch}"
python3 -m pip install --quiet "./{wheel}" --extra-index-url {cpu_index}
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission: nngrade grades /autograder/submission in its isolated
# engine (the student's code runs in a confined worker that cannot see /autograder) and writes
# /autograder/results/results.json. {root_variable}=DIR stands in for /autograder, for a dry run.
exec python3 -m graders.engine.gradescope --assignment {assignment} --seed {seed}
"""


def build_bundle(repository: Path, assignment: str, out: Path, *, seed: int = 0) -> Path:
    """Write the autograder zip for `assignment` to `out`: setup.sh, run_autograder and the wheel built
    from `repository` (the course repository holding pyproject.toml and graders/)."""
    if not (repository / "pyproject.toml").is_file():
        raise BundleError(f"{repository} holds no pyproject.toml: `nngrade gradescope` builds the wheel from the "
                          "course repository, so run it where nngrade is installed from one (pip install -e)")
    with tempfile.TemporaryDirectory(prefix="nngrade-gradescope-") as scratch:
        wheel = build_wheel(repository, Path(scratch))
        torch = torch_requirement(wheel)
        files = {
            "setup.sh": SETUP.format(cpu_index=CPU_INDEX, torch=torch, wheel=wheel.name),
            "run_autograder": RUN.format(root_variable=ROOT_VARIABLE, assignment=assignment, seed=seed),
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                entry = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                entry.external_attr = (stat.S_IFREG | 0o755) << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, text)
            archive.write(wheel, wheel.name)
    return out


def build_wheel(repository: Path, scratch: Path) -> Path:
    """The nngrade wheel, built by pip from a copy of the package's own files."""
    tree = scratch / "tree"
    tree.mkdir()
    for name in WHEEL_SOURCES:
        source = repository / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, tree / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "--wheel-dir", str(scratch / "dist"), str(tree)], capture_output=True, text=True)
    wheels = sorted((scratch / "dist").glob("*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        last = (done.stderr.strip() or done.stdout.strip() or "no wheel was written").splitlines()[-1]
        raise BundleError(f"building the nngrade wheel failed: {last}")
    return wheels[0]


def torch_requirement(wheel: Path) -> str:
    """The torch pin in the wheel's metadata (`torch==2.13.0`): setup.sh installs exactly that one."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(name).decode("utf-8"))
    for requirement in metadata.get_all("Requires-Dist") or []:
        if requirement.replace(" ", "").startswith("torch==") and "extra" not in requirement:
            return requirement.replace(" ", "")
    raise BundleError("pyproject.toml does not pin torch (torch==X.Y.Z): Gradescope would install whatever is newest")


# --------------------------------------------------------------------------- run_autograder

def run(root: Path, assignment: str, seed: int) -> dict:
    """Grade `root`/submission and write `root`/results/results.json; return what was written."""
    import json

    from graders.engine import loader, runner
    from graders.engine.report import results_json

    started = time.monotonic()
    folder = root / "submission"
    try:
        submission = loader.resolve(folder, assignment)
        loader.code_chunks(submission)
        note, target = f"Graded `{submission.name}`.", submission
    except loader.UnreadableSubmission as error:
        # Graded anyway, so that every check is listed and fails with the reason, at its full points.
        reason = str(error).replace(str(folder), "your submission")
        note, target = f"**Your submission could not be graded:** {reason}.", folder
    board = runner.grade(target, assignment, seed=seed, hide=[root])
    results = results_json(board, assignment=assignment, devices=board.devices(),
                           seconds=time.monotonic() - started)
    results["output"] = f"{note} {results['output']}"
    runner.write_atomically(root / "results" / "results.json", json.dumps(results, indent=2))
    return results


def main(argv=None) -> int:
    options = argparse.ArgumentParser(prog="python3 -m graders.engine.gradescope", description=__doc__.splitlines()[0])
    options.add_argument("--assignment", required=True)
    options.add_argument("--seed", type=int, default=0)
    arguments = options.parse_args(argv)
    root = Path(os.environ.get(ROOT_VARIABLE) or "/autograder")
    results = run(root, arguments.assignment, arguments.seed)
    # The instructor's log on Gradescope (stdout is hidden from students).
    print(f"{arguments.assignment}: {results['score']:g} / {results['extra_data']['max_score']:g} "
          f"in {results['execution_time']} s; {root / 'results' / 'results.json'} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
