"""The `nngrade` command as a user runs it: exit codes, the table, the JSON, one-line errors."""

import json
import re
import os
import shutil
import subprocess
import sys
import time

import nbformat
import pytest

from conftest import ROOT
from graders import cli


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
    assert re.search(r"^  total +42 / 42$", done.stdout, re.M)
    assert "Skipped (not counted): cuda is not available" in done.stdout or "cuda" not in done.stdout


def test_the_table_keeps_its_columns_aligned_whatever_the_check_names(reference_run):
    done, _ = reference_run
    rows = [line for line in done.stdout.splitlines() if line.startswith(("  PASS", "  FAIL"))]
    assert len(rows) == 31
    slashes = {line.index(" / ") for line in rows}
    names = {line.index(" test_") for line in rows}
    assert len(slashes) == 1 and len(names) == 1, "the score and name columns start at the same place on every row"
    assert max(len(line) for line in rows) > 100  # the longest names are long, and come last


def test_check_writes_gradescope_results_json_one_row_per_check(reference_run):
    _, out = reference_run
    results = json.loads(out.read_text())
    assert results["score"] == 42.0
    assert results["extra_data"]["assignment"] == "losses"
    assert results["extra_data"]["max_score"] == 42.0
    assert "cpu" in results["extra_data"]["devices"]
    assert list(results["extra_data"]["functions"]) == ["mse_loss", "logsumexp", "cross_entropy",
                                                        "binary_cross_entropy_with_logits"]  # the notebook's order
    tests = results["tests"]
    assert len(tests) == 31 and len({test["name"] for test in tests}) == 31  # checks, not their 75 cases
    assert all("[" not in test["name"] for test in tests)
    for test in tests:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["max_score"] == int(test["max_score"]) and test["visibility"] == "visible"
    assert [test["number"] for test in tests][:2] == ["1.1", "1.2"] and tests[-1]["number"].startswith("4.")
    assert sum(test["max_score"] for test in tests) == 42.0
    assert {test["status"] for test in tests} == {"passed"}
    assert isinstance(results["execution_time"], int) and results["output_format"] == "md"
    assert results["stdout_visibility"] in ("hidden", "visible", "after_due_date", "after_published")
    assert "**losses: 42 / 42 points.**" in results["output"] and "`cross_entropy` 12 / 12" in results["output"]


def test_a_check_on_an_absent_device_is_listed_once_per_device_and_runs_no_case(reference_run):
    _, out = reference_run
    results = json.loads(out.read_text())
    absent = sorted({"cuda", "mps"} - set(results["extra_data"]["devices"]))
    skipped = [entry["name"] for entry in results["extra_data"]["skipped"]]
    assert absent and len(skipped) == len(set(skipped))
    assert {name.rpartition("[")[2].rstrip("]") for name in skipped} == set(absent)
    assert "test_mse_loss_matches_pytorch[cuda]" in skipped or "cuda" not in absent
    reasons = [entry["reason"] for entry in results["extra_data"]["skipped"]]
    assert all(reason.endswith("is not available on this machine") for reason in reasons)


def test_check_of_a_wrong_submission_exits_one_and_explains(tmp_path):
    wrong = tmp_path / "losses.py"
    wrong.write_text((ROOT / "solutions" / "losses.py").read_text()
                     + "\n\ndef mse_loss(input, target, reduction='mean'):\n    return ((input - target) ** 2).sum()\n")
    done = nngrade("check", wrong, "--json", tmp_path / "r.json")
    assert done.returncode == 1
    assert re.search(r"^  FAIL +[\d.]+ / 2 +\d/6 cases  test_mse_loss_matches_pytorch$", done.stdout, re.M)
    assert "times the mean" in done.stdout
    results = json.loads((tmp_path / "r.json").read_text())
    assert 0 < results["score"] < 42
    # One rounding: the score in the JSON is the one the table prints, and the checks' scores add up to it.
    assert re.search(rf"^  total +{results['score']:g} / 42$", done.stdout, re.M)
    mse = results["extra_data"]["functions"]["mse_loss"]["score"]
    assert re.search(rf"^  mse_loss +{mse:g} / 9$", done.stdout, re.M)
    assert round(sum(test["score"] for test in results["tests"] if test["tags"] == ["mse_loss"]), 2) == mse
    failed = next(test for test in results["tests"] if test["name"] == "test_mse_loss_matches_pytorch")
    assert failed["status"] == "failed" and failed["output"].startswith("Failed 4 of 6 cases: float32-mean-cpu")
    assert "Hint: this is the sum" in failed["output"]
    assert "\n  In the other failed cases:\n    Hint: a single number came back" in failed["output"]


def test_check_grades_one_function(tmp_path):
    done = nngrade("check", ROOT / "solutions" / "losses.py", "--function", "logsumexp", "--json", tmp_path / "r.json")
    assert done.returncode == 0, done.stderr
    assert "function logsumexp" in done.stdout.splitlines()[0] and "mse_loss" not in done.stdout
    assert json.loads((tmp_path / "r.json").read_text())["extra_data"]["functions"] == {
        "logsumexp": {"score": 10.0, "max_score": 10.0}}
    unknown = nngrade("check", ROOT / "solutions" / "losses.py", "--function", "softmax")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
    assert "losses grades no function named 'softmax'" in unknown.stderr and "logsumexp" in unknown.stderr


def test_version():
    done = nngrade("--version")
    assert done.returncode == 0 and re.fullmatch(r"nngrade \S+ \(torch \S+, Python [\d.]+\)\n", done.stdout)


@pytest.mark.parametrize("name", ["losses.py", "homework.ipynb", "submission"])
def test_check_of_a_missing_path_is_a_usage_error(tmp_path, name):
    done = nngrade("check", tmp_path / name)
    assert done.returncode == 2
    assert done.stderr == f"nngrade: {tmp_path / name} does not exist\n"


def test_a_copied_notebook_is_graded_and_a_missing_function_is_reported_as_missing(tmp_path):
    """A notebook saved as a copy, whose logsumexp cell was deleted: the assignment is recognised, and
    the checks say that logsumexp is missing, not that the locked grader cell failed."""
    notebook = nbformat.read(ROOT / "exercises" / "losses" / "losses.ipynb", as_version=4)
    notebook.cells = [cell for cell in notebook.cells
                      if cell.metadata.get("nbgrader", {}).get("grade_id") != "logsumexp"]
    nbformat.write(notebook, tmp_path / "Losses-Copy1.ipynb")
    done = nngrade("check", tmp_path, "--function", "logsumexp")
    assert done.returncode == 1
    assert done.stdout.startswith(f"nngrade check: {tmp_path / 'Losses-Copy1.ipynb'} (assignment losses")
    assert "`logsumexp` is not defined in the submission." in done.stdout
    assert "graders" not in done.stdout.partition("Cells that raised")[2]


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


# ----------------------------------------------------------------------------- file names

@pytest.mark.parametrize("name", ["losses.ipynb", "losses-Copy1.ipynb", "losses (1).ipynb", "Losses.ipynb",
                                  "Copy of losses.ipynb", "losses_copy.py"])
def test_copied_and_renamed_files_are_recognised(tmp_path, name):
    from graders.engine import loader

    (tmp_path / name).write_text("{}")
    functions = cli.graded_functions()
    assert loader.infer_assignment(tmp_path / name, functions) == "losses"
    assert loader.infer_assignment(tmp_path, functions) == "losses"
    assert loader.resolve(tmp_path, "losses") == tmp_path / name


def test_a_notebook_named_otherwise_is_recognised_by_its_nbgrader_test_cells(tmp_path):
    from graders.engine import loader

    shutil.copy(ROOT / "release" / "losses" / "losses.ipynb", tmp_path / "homework 2.ipynb")
    assert loader.infer_assignment(tmp_path / "homework 2.ipynb", cli.graded_functions()) == "losses"


def test_a_folder_with_two_candidates_names_the_one_it_grades_or_asks(tmp_path):
    from graders.engine import loader

    (tmp_path / "losses-Copy1.ipynb").write_text("{}")
    (tmp_path / "losses (1).ipynb").write_text("{}")
    with pytest.raises(loader.UnreadableSubmission, match=r"2 files that could be the losses submission "
                                                          r"\(losses \(1\).ipynb, losses-Copy1.ipynb\)"):
        loader.resolve(tmp_path, "losses")
    done = nngrade("check", tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "name the one to grade" in done.stderr
    (tmp_path / "losses.ipynb").write_text("{}")  # the exact name wins, and the report names it
    assert loader.resolve(tmp_path, "losses") == tmp_path / "losses.ipynb"


# ----------------------------------------------------------------------------- the README's commands

def readme_commands(heading: str) -> list[str]:
    """The commands of the first bash block under a README heading, comments left out."""
    section = (ROOT / "README.md").read_text().split(f"\n## {heading}\n", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def test_ci_runs_exactly_the_readme_set_up_and_test_commands():
    set_up, test = readme_commands("Set up"), readme_commands("Test")
    assert len(set_up) == 1 and len(test) == 1, "set-up is one command, and the test is one command"
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert ci == set_up + test


def test_the_readme_pytest_line_works_from_any_folder(tmp_path):
    line = next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("pytest --pyargs"))
    arguments = line.split("#")[0].split()[1:]
    notebook = arguments[arguments.index("--submission") + 1]
    shutil.copy(ROOT / "exercises" / "losses" / "losses.ipynb", tmp_path / notebook)
    done = subprocess.run([sys.executable, "-m", "pytest", *arguments, "-q", "-p", "no:cacheprovider"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert re.search(r"\d+ passed", done.stdout) and "failed" not in done.stdout


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


def test_a_check_past_its_wall_stops_with_one_line():
    """The judge's own limit (budget, load time and a margin; one second here): nothing a submission
    returns can keep `nngrade check` busy for longer."""
    script = ("import time\nfrom pathlib import Path\nfrom graders import cli\n"
              "cli.hard_wall(Path('x.py'), 1)\ntime.sleep(30)")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and time.monotonic() - started < 20
    assert done.stderr.count("\n") == 1 and "ran past its wall of 1 s" in done.stderr
