"""The `nngrade` command as a user runs it: exit codes, the table, the JSON, one-line errors."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT


def nngrade(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "graders.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("json") / "results.json"
    return nngrade("check", ROOT / "solutions" / "losses.py", "--json", out), out


def test_check_of_the_reference_exits_zero_with_full_marks(reference_run):
    done, _ = reference_run
    assert done.returncode == 0, done.stderr
    assert "total" in done.stdout and "42.00 /  42.00" in done.stdout
    assert "Skipped (not counted): cuda is not available" in done.stdout or "cuda" not in done.stdout


def test_check_writes_gradescope_results_json(reference_run):
    _, out = reference_run
    results = json.loads(out.read_text())
    assert results["score"] == 42.0
    assert results["extra_data"]["assignment"] == "losses"
    assert results["extra_data"]["max_score"] == 42.0
    assert "cpu" in results["extra_data"]["devices"]
    assert {"name", "score", "max_score", "status", "output"} <= set(results["tests"][0])
    assert sum(test["max_score"] for test in results["tests"]) == pytest.approx(42.0)
    assert {test["status"] for test in results["tests"]} == {"passed"}


def test_check_of_a_wrong_submission_exits_one_and_explains(tmp_path):
    wrong = tmp_path / "losses.py"
    wrong.write_text((ROOT / "solutions" / "losses.py").read_text()
                     + "\n\ndef mse_loss(input, target, reduction='mean'):\n    return ((input - target) ** 2).sum()\n")
    done = nngrade("check", wrong, "--json", tmp_path / "r.json")
    assert done.returncode == 1
    assert "FAIL  test_mse_loss_matches_pytorch" in done.stdout
    assert "times the mean" in done.stdout
    results = json.loads((tmp_path / "r.json").read_text())
    assert 0 < results["score"] < 42


def test_check_of_a_missing_file_is_a_usage_error(tmp_path):
    done = nngrade("check", tmp_path / "losses.py")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "does not exist" in done.stderr


def test_check_without_a_known_assignment_asks_for_one(tmp_path):
    (tmp_path / "homework.py").write_text("x = 1\n")
    done = nngrade("check", tmp_path / "homework.py")
    assert done.returncode == 2 and "--assignment" in done.stderr


def test_check_of_an_unreadable_notebook_is_a_usage_error(tmp_path):
    (tmp_path / "losses.ipynb").write_text("{ this is not json")
    done = nngrade("check", tmp_path / "losses.ipynb")
    assert done.returncode == 2 and "not a readable notebook" in done.stderr


def test_a_syntax_error_fails_every_check_with_a_one_line_reason(tmp_path):
    (tmp_path / "losses.py").write_text("import torch\n\ndef mse_loss(input, target reduction='mean'):\n    pass\n")
    done = nngrade("check", tmp_path / "losses.py")
    assert done.returncode == 1
    assert "SyntaxError" in done.stdout and "line 3" in done.stdout
    assert "Traceback" not in done.stdout


def test_list_shows_assignments_functions_and_points():
    done = nngrade("list")
    assert done.returncode == 0
    assert "losses (42 points)" in done.stdout
    assert "cross_entropy" in done.stdout


@pytest.mark.parametrize("command", ["check", "grade"])
@pytest.mark.parametrize("absent", ["cuda", "mps"])
def test_an_absent_device_is_a_usage_error(tmp_path, command, absent):
    from graders.plugin import device_available

    if device_available(absent):
        pytest.skip(f"this machine has {absent}")
    (tmp_path / "submitted").mkdir()
    target = [ROOT / "solutions" / "losses.py"] if command == "check" else [tmp_path / "submitted", "--assignment",
                                                                           "losses", "--out", tmp_path / "out"]
    done = nngrade(command, *target, "--device", absent)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and f"no {absent} device" in done.stderr


def test_a_missing_gradebook_is_reported_before_any_grading(tmp_path):
    (tmp_path / "submitted" / "alice" / "losses").mkdir(parents=True)
    (tmp_path / "submitted" / "alice" / "losses" / "losses.py").write_text("x = 1\n")
    done = nngrade("grade", tmp_path / "submitted", "--assignment", "losses", "--out", tmp_path / "out",
                   "--gradebook", f"sqlite:///{tmp_path / 'gradebook.db'}")
    assert done.returncode == 2 and "no gradebook" in done.stderr and "generate_assignment" in done.stderr
    assert not (tmp_path / "out").exists()  # nothing was graded


def test_a_notebook_with_a_numeric_cell_source_is_unreadable_in_one_line(tmp_path):
    shutil.copy(ROOT / "tests" / "hostile" / "numeric_cell_source.ipynb", tmp_path / "losses.ipynb")
    done = nngrade("check", tmp_path / "losses.ipynb", "--json", tmp_path / "r.json")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "source that is not text" in done.stderr


def test_a_fifo_is_unreadable_at_once(tmp_path):
    os.mkfifo(tmp_path / "losses.py")
    done = nngrade("check", tmp_path / "losses.py")
    assert done.returncode == 2 and "not a regular file" in done.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the full sandbox needs root on Linux")
def test_explain_isolation_lists_every_layer():
    done = nngrade("check", "--explain-isolation")
    assert done.returncode == 0, done.stderr
    for layer in ("seccomp", "no_new_privs", "nosuid", "scrubbed environment"):
        assert layer in done.stdout, layer
