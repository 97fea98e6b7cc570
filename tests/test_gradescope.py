"""`nngrade gradescope`: the autograder zip holds what Gradescope runs and no answer, and its
`run_autograder` grades a submission under a fake /autograder tree the way Gradescope runs it."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import nbformat
import pytest

from conftest import ROOT
from test_package import ANSWERS, bodies, normalised

WRONG_MSE = '''
def mse_loss(input, target, reduction="mean"):
    return apply_reduction((input - target) ** 2, "sum" if reduction == "mean" else reduction)
'''


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "graders.cli", "gradescope", "--assignment", "losses", "--out", out],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


def autograder(tmp_path, bundle, submission: dict[str, str]):
    """A fake /autograder: the zip unpacked in source/, run_autograder copied beside it (as Gradescope's
    image build does), the submission's files in submission/; then run_autograder, run from there."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        for entry in archive.infolist():  # extractall drops the permission bits that the zip holds
            os.chmod(root / "source" / entry.filename, (entry.external_attr >> 16) & 0o777 or 0o644)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    for name, text in submission.items():
        (root / "submission" / name).write_text(text)
    env = {**os.environ, "NNGRADE_AUTOGRADER_ROOT": str(root),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "results" / "results.json").read_text()), done


def one_mistake() -> str:
    """The reference notebook with a sum where mse_loss's mean was asked for."""
    notebook = nbformat.read(ROOT / "exercises" / "losses" / "losses.ipynb", as_version=4)
    cell = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "mse_loss")
    cell.source += "\n\n" + WRONG_MSE
    return nbformat.writes(notebook)


def test_the_zip_holds_setup_run_autograder_and_the_wheel(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = sorted(archive.namelist())
        modes = {entry.filename: (entry.external_attr >> 16) & 0o777 for entry in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
    wheel = next(name for name in names if name.endswith(".whl"))
    assert names == sorted(["setup.sh", "run_autograder", wheel]) and wheel.startswith("nngrade-")
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    lines = [line for line in setup.splitlines() if line.startswith("python3 -m pip install")]
    assert lines == [
        'python3 -m pip install --quiet --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"',
        f'python3 -m pip install --quiet "./{wheel}" --extra-index-url https://download.pytorch.org/whl/cpu']
    assert setup.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in setup
    assert run.startswith("#!/usr/bin/env bash\n")
    assert run.rstrip().endswith("exec python3 -m graders.engine.gradescope --assignment losses --seed 0")


def test_no_answer_is_in_the_zip(bundle):
    with zipfile.ZipFile(bundle) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    wheel = next(data for name, data in files.items() if name.endswith(".whl"))
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        inside = {name: archive.read(name).decode("utf-8", "replace") for name in archive.namelist()}
    assert all(name.startswith(("graders/", "nngrade-")) for name in inside)
    scripts = [data.decode("utf-8") for name, data in files.items() if not name.endswith(".whl")]
    everything = normalised("\n".join([*inside.values(), *scripts]))
    for path in ANSWERS:
        for body in bodies(path):
            assert body not in everything, f"{path.relative_to(ROOT)} holds code that the zip contains:\n{body}"


def test_run_autograder_grades_the_submission_and_writes_results_json(tmp_path, bundle):
    results, done = autograder(tmp_path, bundle, {"losses (1).ipynb": one_mistake()})
    assert 0 < results["score"] < 42 and results["extra_data"]["max_score"] == 42
    functions = results["extra_data"]["functions"]
    assert functions["mse_loss"]["score"] < 9 and functions["cross_entropy"] == {"score": 12.0, "max_score": 12.0}
    tests = results["tests"]
    assert len(tests) == 31 and sum(test["max_score"] for test in tests) == 42
    for test in tests:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
    failed = [test for test in tests if test["status"] == "failed"]
    assert failed and all(test["tags"] == ["mse_loss"] for test in failed)
    assert any("Hint: this is the sum of the losses" in test["output"] for test in failed)
    assert isinstance(results["execution_time"], int) and results["output_format"] == "md"
    assert results["output"].startswith("Graded `losses (1).ipynb`. **losses: ")
    assert f"`mse_loss` {functions['mse_loss']['score']:g} / 9" in results["output"]
    assert "results.json written" in done.stdout
    mode = stat.S_IMODE((tmp_path / "autograder" / "results" / "results.json").stat().st_mode)
    assert mode & 0o044 == 0o044 & ~current_umask()


def test_a_submission_that_cannot_be_graded_still_gets_results_json(tmp_path, bundle):
    results, _ = autograder(tmp_path, bundle, {"notes.txt": "I forgot to upload the notebook"})
    assert results["score"] == 0 and results["extra_data"]["max_score"] == 42
    assert results["output"].startswith("**Your submission could not be graded:** your submission holds 0 "
                                        ".py/.ipynb files")
    assert len(results["tests"]) == 31 and {test["status"] for test in results["tests"]} == {"failed"}
    assert all("holds 0 .py/.ipynb files" in test["output"] for test in results["tests"])


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
