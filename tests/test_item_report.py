"""`nngrade report`: the item statistics against hand-computed numbers, the report of a class graded
for real, its CSVs, its errors, and the page as a real browser draws it."""

import csv
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import zlib

import pytest

from conftest import ROOT, SUBMISSIONS, expectations
from graders.engine import item_report

MISTAKES = ["wrong_mse_sum_instead_of_mean", "wrong_ce_double_softmax", "wrong_logsumexp_without_max_shift"]


def result(student, cases, score, *, status="graded", **extra):
    """A results.json as `nngrade grade` writes it: cases maps a case name to (passed, output)."""
    return {"score": score,
            "tests": [{"name": name, "score": 0.0, "max_score": 1.0, "status": "passed" if passed else "failed",
                       "output": output} for name, (passed, output) in cases.items()],
            "extra_data": {"assignment": "losses", "max_score": 10.0, "student": student, "status": status,
                           "functions": {"mse_loss": {"score": score, "max_score": 10.0}}, **extra}}


SUM = "mse_loss(...) on cpu: the values differ\n  Hint: this is the sum of the losses, {} times the mean."
STUB = "mse_loss(...) on cpu raised NotImplementedError (line 3)\n  Hint: exp() overflows"


def synthetic_class():
    """Four graded students (totals 10, 8, 4, 2) and three listed apart.

    check a passes for ann, bea          x = 1 1 0 0: difficulty 1/2, r = 6 / sqrt(1 * 40)
    check b passes for dora only         x = 0 0 0 1: difficulty 1/4, r = -4 / sqrt(0.75 * 40)
    check c fails for everyone; check d passes for everyone: r is n/a for both
    """
    def cases(a, b, c, d, a_output=""):
        # Check a has two cases: cleo and dora pass the float64 one, and still fail the check.
        return {"test_mse_loss_a[cpu-float32]": (a, a_output),
                "test_mse_loss_a[cpu-float64]": (a or bool(a_output), ""),
                "test_mse_loss_b": (b, "differs"), "test_mse_loss_c": (c, "differs"), "test_mse_loss_d": (d, "")}
    return {
        "ann": result("ann", cases(True, False, False, True), 10.0),
        "bea": result("bea", cases(True, False, False, True), 8.0),
        "cleo": result("cleo", cases(False, False, False, True, SUM.format(24) + "\n  in submitted/cleo/losses"), 4.0),
        "dora": result("dora", cases(False, True, False, True, SUM.format(12) + "\n  by Dora"), 2.0),
        "eve": result("eve", {}, 0.0, status="unreadable", reason="not a readable notebook"),
        "fay": result("fay", cases(True, True, True, True), 10.0, status="timed out"),
        "<script>gus</script>": result("<script>gus</script>", cases(True, True, True, True), 10.0, flagged=True),
    }


def write_class(folder, reports):
    folder.mkdir(parents=True, exist_ok=True)
    for index, report in enumerate(reports.values()):
        (folder / f"student{index}.json").write_text(json.dumps(report))
    return folder


def test_difficulty_and_point_biserial_match_hand_computed_values():
    assert item_report.difficulty([True, True, False, False]) == 0.5
    assert item_report.difficulty([]) is None
    assert item_report.point_biserial([True, True, False, False], [10, 8, 4, 2]) == pytest.approx(6 / 40 ** 0.5)
    assert item_report.point_biserial([False, False, False, True], [10, 8, 4, 2]) == pytest.approx(-4 / 30 ** 0.5)
    assert item_report.point_biserial([True, True, True], [1, 2, 3]) is None, "everyone passed: n/a"
    assert item_report.point_biserial([True, False], [5, 5]) is None, "equal totals: n/a"


def test_histogram_puts_full_marks_in_the_last_bin():
    assert item_report.histogram([0, 4.2, 21, 41.9, 42], 42) == [1, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert item_report.histogram([0, 0], 0) == [2] + [0] * 9


def test_analysis_of_a_synthetic_class(tmp_path):
    classes, notes = item_report.load([write_class(tmp_path, synthetic_class())])
    assert notes == []
    report = item_report.analyse("losses", classes["losses"])
    assert [student.name for student in report.graded] == ["ann", "bea", "cleo", "dora"]
    assert {status: [s.name for s in students] for status, students in report.apart.items()} == {
        "flagged for tampering": ["<script>gus</script>"], "timed out": ["fay"], "unreadable": ["eve"]}
    checks = {stats.check: stats for stats in report.checks}
    assert [stats.check for stats in report.checks] == ["test_mse_loss_c", "test_mse_loss_b", "test_mse_loss_a",
                                                        "test_mse_loss_d"], "most failed first"
    a, b, c, d = (checks[f"test_mse_loss_{name}"] for name in "abcd")
    assert (a.students, a.passed, a.difficulty) == (4, 2, 0.5)
    assert a.discrimination == pytest.approx(0.9487, abs=1e-4) and a.flags == []
    assert b.discrimination == pytest.approx(-0.7303, abs=1e-4) and b.flags == ["negative discrimination"]
    assert c.difficulty == 0 and c.discrimination is None and c.flags == ["failed by almost everyone"]
    assert d.difficulty == 1 and d.discrimination is None and d.flags == []
    assert a.function == "mse_loss", "from the check's name"
    # cleo and dora were told the same mistake with different numbers: one mistake, two students.
    assert [(m.label, m.students, m.named) for m in a.mistakes] == [
        ("this is the sum of the losses, 24 times the mean.", 2, True)]
    assert [(m.function, m.students) for m in report.mistakes] == [("mse_loss", 2)]
    example = a.mistakes[0].example
    assert "cleo" not in example.lower() and "submitted/<student>/losses" in example
    assert report.totals.counts == [0, 0, 1, 0, 1, 0, 0, 0, 1, 1]
    assert (report.totals.mean, report.totals.median) == (6.0, 6.0)


def test_stubs_are_not_counted_as_making_the_hinted_mistake():
    assert item_report.mistakes_in(STUB) == {item_report.NOT_IMPLEMENTED: item_report.NOT_IMPLEMENTED}
    assert item_report.mistakes_in("differs") == {item_report.UNNAMED: item_report.UNNAMED}
    assert list(item_report.mistakes_in(SUM.format(3) + "\n  hint: another one")) == [
        "this is the sum of the losses, # times the mean.", "another one"]


def test_examples_name_no_student():
    names = item_report.names_pattern(["dora", "x"])
    assert (item_report.anonymise("x by Dora in submitted/dora/x.py", names)
            == "x by <student> in submitted/<student>/x.py"), "names of two letters are left alone"


def test_html_escapes_names_and_messages_and_the_csvs_hold_the_same_numbers(tmp_path):
    written, _ = item_report.write_report([write_class(tmp_path / "graded", synthetic_class())])
    page = written[0].read_text()
    assert written[0] == tmp_path / "graded" / "report.html"
    assert "<script" not in page and "&lt;script&gt;gus&lt;/script&gt;" in page
    checks = {row["check"]: row for row in csv.DictReader((tmp_path / "graded" / "report-checks.csv").open())}
    assert checks["test_mse_loss_b"]["difficulty"] == "0.25"
    assert checks["test_mse_loss_b"]["discrimination"] == "-0.7303"
    assert checks["test_mse_loss_c"]["discrimination"] == "" and checks["test_mse_loss_c"]["flags"]
    apart = list(csv.DictReader((tmp_path / "graded" / "report-apart.csv").open()))
    assert {row["student"]: row["status"] for row in apart}["eve"] == "unreadable"
    assert {path.name for path in written} == {"report.html", "report-checks.csv", "report-mistakes.csv",
                                               "report-scores.csv", "report-apart.csv"}


def test_several_assignments_and_one_too_small_for_statistics(tmp_path):
    small = {name: json.loads(json.dumps(report).replace('"losses"', '"autograd"'))
             for name, report in synthetic_class().items() if name in ("ann", "eve")}
    written, notes = item_report.write_report([write_class(tmp_path / "graded" / "losses", synthetic_class()),
                                               write_class(tmp_path / "graded" / "autograd", small)])
    assert written[0] == tmp_path / "graded" / "report.html"
    assert notes == ["autograd: only 1 graded student(s), no item statistics"]
    page = written[0].read_text()
    assert page.index('id="autograd"') < page.index('id="losses"')
    assert "need at least two graded students" in page and "not a readable notebook" in page


def nngrade(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "graders.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_clear_errors_for_a_missing_folder_an_empty_one_and_a_class_of_one(tmp_path):
    missing = nngrade("report", tmp_path / "nowhere")
    assert missing.returncode == 2 and missing.stderr.startswith("nngrade: ") and "not a folder" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = nngrade("report", tmp_path / "empty")
    assert empty.returncode == 2 and "no graded results" in empty.stderr
    one = write_class(tmp_path / "one", {"ann": synthetic_class()["ann"], "eve": synthetic_class()["eve"]})
    alone = nngrade("report", one)
    assert alone.returncode == 2 and "at least two graded students" in alone.stderr, alone.stderr
    assert "1 graded, 1 unreadable" in alone.stderr and not (one / "report.html").exists()
    for done in (missing, empty, alone):
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A class graded by `nngrade grade`: the reference, the stub, three catalogue mistakes, one unreadable."""
    root = tmp_path_factory.mktemp("class")
    reference = (ROOT / "solutions" / "losses.py").read_text()
    files = {"ref": ("losses.py", reference),
             "stub": ("losses.ipynb", (ROOT / "release" / "losses" / "losses.ipynb").read_text()),
             "broken": ("losses.ipynb", "{ not a notebook")}
    for mistake in MISTAKES:
        files[mistake] = ("losses.py", reference + "\n\n" + (SUBMISSIONS / "losses" / f"{mistake}.py").read_text())
    for student, (name, text) in files.items():
        (root / "submitted" / student / "losses").mkdir(parents=True)
        (root / "submitted" / student / "losses" / name).write_text(text)
    graded = nngrade("grade", root / "submitted", "--assignment", "losses", "--workers", "2", "--out",
                     root / "graded")
    assert graded.returncode == 0, graded.stderr
    report = nngrade("report", root / "graded", "--out", root / "report" / "class.html")
    assert report.returncode == 0, report.stderr
    return root


def rows(path):
    return list(csv.DictReader(path.open()))


def test_report_of_a_graded_class_matches_its_results(graded_class):
    results = {path.stem: json.loads(path.read_text()) for path in (graded_class / "graded").glob("*.json")}
    graded = {student: report for student, report in results.items() if report["extra_data"]["status"] == "graded"}
    assert sorted(graded) == sorted(["ref", "stub", *MISTAKES])
    checks = {row["check"]: row for row in rows(graded_class / "report" / "class-checks.csv")}
    mistakes = rows(graded_class / "report" / "class-mistakes.csv")
    for check, row in checks.items():
        passers = [student for student, report in graded.items() if all(
            case["status"] == "passed" for case in report["tests"] if case["name"].split("[")[0] == check)]
        assert int(row["passed"]) == len(passers) and int(row["students"]) == 5, check
        assert float(row["difficulty"]) == pytest.approx(len(passers) / 5, abs=1e-4)
        totals = [report["score"] for report in graded.values()]
        x = [1.0 if student in passers else 0.0 for student in graded]
        mean_x, mean_y = sum(x) / 5, sum(totals) / 5
        sxy = sum((a - mean_x) * (b - mean_y) for a, b in zip(x, totals))
        sxx, syy = sum((a - mean_x) ** 2 for a in x), sum((b - mean_y) ** 2 for b in totals)
        expected = sxy / (sxx * syy) ** 0.5 if sxx else None
        assert (row["discrimination"] == "") == (expected is None), check
        if expected is not None:
            assert float(row["discrimination"]) == pytest.approx(expected, abs=1e-4), check
    # Each catalogue mistake fails the checks its docstring names, and its hint is counted once.
    for mistake in MISTAKES:
        fails, hint = expectations(SUBMISSIONS / "losses" / f"{mistake}.py")
        assert all(int(checks[check]["passed"]) < 5 for check in fails), mistake
        named = [row for row in mistakes if row["check"] in fails and hint.lower() in row["mistake"].lower()]
        assert named and all(row["students"] == "1" for row in named), mistake
        assert all("wrong_" not in row["example"] for row in named), "the example names no student"
    stub_rows = [row for row in mistakes if row["mistake"] == item_report.NOT_IMPLEMENTED]
    assert stub_rows and all(row["students"] == "1" for row in stub_rows), "the stub, on every check"
    assert [(row["student"], row["status"]) for row in rows(graded_class / "report" / "class-apart.csv")] == [
        ("broken", "unreadable")]
    total = [row for row in rows(graded_class / "report" / "class-scores.csv") if row["function"] == "total"]
    scores = sorted(report["score"] for report in graded.values())
    assert sum(int(row["students"]) for row in total) == 5
    assert int(total[0]["students"]) == 1 and scores[0] == 0, "the stub scores zero"
    assert int(total[-1]["students"]) == sum(score >= 0.9 * 42 for score in scores)


def test_report_is_self_contained(graded_class):
    page = (graded_class / "report" / "class.html").read_text()
    assert "<script" not in page and "<link" not in page and " src=" not in page and " href=" not in page
    assert page.count("<svg") == 1 + 4, "the total and one histogram per function"
    assert "the sum of the losses" in page and "softmax was applied twice" in page


def chromium():
    for name in ("chromium", "chromium-browser", "chromium-headless-shell", "headless_shell"):
        if path := shutil.which(name):
            return path
    return None


def png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the decompressed (still filtered) scanlines of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, size = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    return (*size, zlib.decompress(b"".join(chunks)))


@pytest.mark.skipif(chromium() is None, reason="no chromium binary on this machine (the set-up does not install "
                                                "one; apt-get install chromium to run this test)")
def test_report_renders_in_a_headless_browser(graded_class, tmp_path):
    screenshot = tmp_path / "report.png"
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1600", f"--screenshot={screenshot}",
               (graded_class / "report" / "class.html").as_uri()]
    # Its own session, so that the browser's helper processes die with it if it hangs.
    browser = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, "HOME": str(tmp_path)})
    try:
        output, _ = browser.communicate(timeout=90)
    finally:
        if browser.poll() is None:
            os.killpg(browser.pid, signal.SIGKILL)
            browser.wait()
    assert screenshot.exists(), output.decode(errors="replace")[-2000:]
    width, height, pixels = png_pixels(screenshot.read_bytes())
    assert (width, height) == (1200, 1600)
    # A blank page decompresses to a few byte values (white, filter bytes); text and charts to many.
    assert len(set(pixels)) > 64, "the screenshot is blank"
    assert pixels.count(255) < 0.97 * len(pixels), "the screenshot is almost all white"
