"""`nngrade grade` over an nbgrader submitted/ tree: parallel, isolated, resumable, and writing the
same per-function scores into the gradebook that the report shows."""

import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import time

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


# ---------------------------------------------------------------- a hostile class

HOSTILE = ROOT / "tests" / "hostile"
CONTROL_NAME = "\x1b[31mred\x1b[0m"


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """Honest students beside every batch attack: links to the reference and to another student, a
    FIFO, names that are a formula or terminal control sequences, a thousand-dimension result,
    tampering, control sequences in a message. One `nngrade grade` run over them all."""
    root = tmp_path_factory.mktemp("hostile-course")
    submitted = root / "submitted"
    reference = (ROOT / "solutions" / "losses.py").read_text()

    def hand_in(student, text=None):
        folder = submitted / student / "losses"
        folder.mkdir(parents=True)
        if text is not None:
            (folder / "losses.py").write_text(text)
        return folder

    hand_in("alice", reference)
    hand_in("=2+3", reference)
    hand_in(CONTROL_NAME, reference)
    hand_in("rank", reference + "\n" + (HOSTILE / "huge_rank_output.py").read_text())
    hand_in("tamper", reference + "\n" + (HOSTILE / "wraps_the_probe.py").read_text())
    hand_in("controls", reference + "\n" + (HOSTILE / "control_sequences_in_message.py").read_text())
    (hand_in("link_file") / "losses.py").symlink_to(ROOT / "solutions" / "losses.py")
    (submitted / "link_folder").mkdir()
    (submitted / "link_folder" / "losses").symlink_to(ROOT / "solutions", target_is_directory=True)
    (submitted / "link_student").symlink_to(submitted / "alice", target_is_directory=True)
    os.mkfifo(hand_in("fifo") / "losses.py")
    done = subprocess.Popen([sys.executable, "-m", "graders.cli", "grade", submitted, "--assignment", "losses",
                             "--workers", "2", "--out", root / "out"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    stdout, stderr = done.communicate(timeout=900)
    return done, stdout, stderr, root / "out"


def test_a_hostile_class_is_graded_to_the_end_with_every_students_result(hostile_class):
    done, stdout, stderr, out = hostile_class
    assert done.returncode == 0, stderr
    reports = {json.loads(path.read_text())["extra_data"]["student"]: json.loads(path.read_text())
               for path in out.glob("*.json")}
    scores = {student: (report["score"], report["extra_data"]["status"]) for student, report in reports.items()}
    assert scores == {
        "alice": (42.0, "graded"), "=2+3": (42.0, "graded"), CONTROL_NAME: (42.0, "graded"),
        "rank": (33.0, "graded"), "tamper": (0.0, "flagged for review"), "controls": (33.0, "graded"),
        "link_file": (0.0, "unreadable"), "link_folder": (0.0, "unreadable"), "link_student": (0.0, "unreadable"),
        "fifo": (0.0, "unreadable")}
    for student in ("link_file", "link_folder", "link_student"):
        assert "symbolic link" in reports[student]["extra_data"]["reason"]
    assert "not a regular file" in reports["fifo"]["extra_data"]["reason"]
    assert reports["tamper"]["extra_data"]["flagged"]
    assert all(report["extra_data"]["max_score"] == 42.0 for report in reports.values())


def test_a_hostile_class_leaves_no_process_and_prints_no_control_character(hostile_class):
    from test_hostile import owned_processes

    done, stdout, stderr, _ = hostile_class
    assert owned_processes(owner=done.pid) == []
    assert "\x1b" not in stdout + stderr and "\\x1b[31mred" in stderr


def test_the_csv_takes_names_as_text(hostile_class):
    _, _, _, out = hostile_class
    rows = {row["student"]: row for row in csv.DictReader((out / "scores.csv").open())}
    assert rows["'=2+3"]["total"] == "42.0"
    assert rows["\\x1b[31mred\\x1b[0m"]["total"] == "42.0"
    assert rows["tamper"]["status"] == "flagged for review" and rows["fifo"]["status"] == "unreadable"


def test_a_judge_past_the_wall_is_stopped_and_a_rerun_keeps_its_result(tmp_path):
    """A student whose grading outlasts the wall (here a loop while loading, with the wall shorter than
    the load time) is reported as timed out, the next student is graded by a fresh judge, nothing is
    left running, and a second run keeps that result instead of hanging on it again."""
    from graders.engine.batch import grade_batch
    from test_hostile import settled

    for student, text in (("hangs", (HOSTILE / "infinite_loop_at_import.py").read_text()),
                          ("zoe", (ROOT / "solutions" / "losses.py").read_text())):
        (tmp_path / "submitted" / student / "losses").mkdir(parents=True)
        (tmp_path / "submitted" / student / "losses" / "losses.py").write_text(text)
    log = io.StringIO()
    counts = grade_batch(tmp_path / "submitted", "losses", tmp_path / "out", workers=1, wall=20, stream=log)
    assert counts == {"graded": 1, "timed out": 1}
    hung = json.loads((tmp_path / "out" / "hangs.json").read_text())
    assert hung["score"] == 0.0 and hung["extra_data"]["max_score"] == 42.0 and "20 s" in hung["extra_data"]["reason"]
    assert json.loads((tmp_path / "out" / "zoe.json").read_text())["score"] == 42.0
    assert settled() == []
    started = time.monotonic()
    assert grade_batch(tmp_path / "submitted", "losses", tmp_path / "out", wall=20, stream=log) == counts
    assert time.monotonic() - started < 5
