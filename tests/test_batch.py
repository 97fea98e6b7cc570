"""`nngrade grade` over an nbgrader submitted/ tree: parallel, isolated, resumable, and writing the
same per-function scores into the gradebook that the report shows."""

import csv
import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A class of five: the reference, the stub, the source notebook, a hang, an unreadable file."""
    root = tmp_path_factory.mktemp("course")
    submitted = root / "submitted"
    files = {
        "alice": ("losses.py", (ROOT / "solutions" / "losses.py").read_text()),
        "bob": ("losses.ipynb", (ROOT / "release" / "losses" / "losses.ipynb").read_text()),
        "carol": ("losses.ipynb", (ROOT / "exercises" / "losses" / "losses.ipynb").read_text()),
        "dave": ("losses.py", (ROOT / "solutions" / "losses.py").read_text()
                 + (ROOT / "tests" / "hostile" / "infinite_loop_inside_call.py").read_text()),
        "erin": ("losses.ipynb", "{ not a notebook"),
    }
    for student, (name, text) in files.items():
        (submitted / student / "losses").mkdir(parents=True)
        (submitted / student / "losses" / name).write_text(text)
    return root


def nngrade(*args, cwd):
    return subprocess.run([sys.executable, "-m", "graders.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def graded(course):
    done = nngrade("grade", course / "submitted", "--assignment", "losses", "--workers", "2", "--out",
                   course / "out", cwd=ROOT)
    return done, course / "out"


def test_batch_grades_every_student_and_summarises(graded):
    done, out = graded
    assert done.returncode == 0, done.stderr
    assert "5 submissions: 3 graded, 1 timed out, 1 unreadable" in done.stdout
    assert done.stderr.count("[") >= 5, "a progress line per submission when not on a terminal"


def test_batch_writes_results_json_per_student_with_the_right_scores(graded):
    _, out = graded
    scores = {path.stem: json.loads(path.read_text()) for path in out.glob("*.json")}
    assert {student: report["score"] for student, report in scores.items()} == {
        "alice": 42.0, "bob": 0.0, "carol": 42.0, "dave": 31.0, "erin": 0.0}
    assert scores["alice"]["extra_data"]["student"] == "alice"
    assert scores["dave"]["extra_data"]["status"] == "timed out"
    assert "not a readable notebook" in scores["erin"]["extra_data"]["reason"]
    assert scores["erin"]["extra_data"]["max_score"] == 42.0


def test_batch_writes_a_csv_of_function_scores(graded):
    _, out = graded
    with (out / "scores.csv").open() as handle:
        header = next(csv.reader(handle))
    assert header == ["student", "mse_loss", "logsumexp", "cross_entropy", "binary_cross_entropy_with_logits",
                      "total", "max_score", "status"]  # the functions in the notebook's order
    rows = {row["student"]: row for row in csv.DictReader((out / "scores.csv").open())}
    assert rows["dave"]["binary_cross_entropy_with_logits"] == "0.0"
    assert rows["dave"]["mse_loss"] == "9.0" and rows["dave"]["total"] == "31.0"


def test_results_are_readable_by_the_instructors_group(graded):
    _, out = graded
    umask = os.umask(0o022)
    os.umask(umask)
    for path in [out / "scores.csv", *out.glob("*.json")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path.name


def test_batch_resumes_without_regrading_what_is_done(graded, course):
    _, out = graded
    before = (out / "alice.json").stat().st_mtime_ns
    (out / "bob.json").unlink()
    again = nngrade("grade", course / "submitted", "--assignment", "losses", "--out", out, cwd=ROOT)
    assert again.returncode == 0
    assert "4 of 5 submissions already graded and unchanged" in again.stderr
    assert (out / "alice.json").stat().st_mtime_ns == before
    assert json.loads((out / "bob.json").read_text())["score"] == 0.0


def test_batch_writes_scores_into_the_nbgrader_gradebook(graded, course, tmp_path):
    from nbgrader.api import Gradebook

    _, out = graded
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises")
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    db = f"sqlite:///{tmp_path}/gradebook.db"
    made = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "losses", "--force",
                           f"--CourseDirectory.db_url={db}"], cwd=tmp_path, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    done = nngrade("grade", course / "submitted", "--assignment", "losses", "--out", out, "--gradebook", db,
                   cwd=ROOT)
    assert done.returncode == 0, done.stderr
    with Gradebook(db) as book:
        assert book.find_submission("losses", "alice").score == 42.0
        assert book.find_submission("losses", "dave").score == 31.0
        assert book.find_grade("grade_mse_loss", "losses", "losses", "dave").score == 9.0
        assert book.find_submission("losses", "bob").score == 0.0


def test_a_class_graded_in_shards_and_merged_matches_one_run(graded, course, tmp_path):
    """Two shards as two separate processes, as two tasks of a Slurm job array would run them."""
    _, out = graded
    shards = [subprocess.Popen([sys.executable, "-m", "graders.cli", "grade", course / "submitted", "--assignment",
                                "losses", "--workers", "1", "--shard", f"{k}/2", "--out", tmp_path / f"shard-{k}"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in (1, 2)]
    for shard in shards:
        stdout, stderr = shard.communicate(timeout=600)
        assert shard.returncode == 0, stderr
        assert "nngrade merge" in stdout
    graded_by = [{path.stem for path in (tmp_path / f"shard-{k}").glob("*.json")} for k in (1, 2)]
    assert not graded_by[0] & graded_by[1] and graded_by[0] | graded_by[1] == {"alice", "bob", "carol", "dave", "erin"}
    assert not (tmp_path / "shard-1" / "scores.csv").exists()
    merged = nngrade("merge", tmp_path / "shard-1", tmp_path / "shard-2", "--assignment", "losses",
                     "--submitted", course / "submitted", "--out", tmp_path / "merged", cwd=ROOT)
    assert merged.returncode == 0, merged.stderr
    assert (tmp_path / "merged" / "scores.csv").read_text() == (out / "scores.csv").read_text()


def test_a_bad_shard_is_a_usage_error(course, tmp_path):
    done = nngrade("grade", course / "submitted", "--assignment", "losses", "--shard", "3/2", "--out", tmp_path,
                   cwd=ROOT)
    assert done.returncode == 2 and "expected K/N" in done.stderr
