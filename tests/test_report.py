"""The report: scores shared among cases, one rounding, the table, the test cells' reports and results.json."""

from __future__ import annotations

import re

import pytest

from graders.engine.report import (WIDTH, Check, Scoreboard, function_verdict, results_json, table,
                                   withheld_because)

LONG = "test_mse_loss_returns_a_plain_tensor_of_the_input_dtype_and_device_even_for_very_long_names"


def board(*checks) -> Scoreboard:
    """checks: (name, function, points, outcomes, message, hidden), one outcome per parametrized case."""
    made = Scoreboard()
    for name, function, points, outcomes, message, hidden in checks:
        for index, outcome in enumerate(outcomes):
            nodeid = f"test_x.py::{name}[case{index}]"
            made.checks[nodeid] = Check(f"{name}[case{index}]", function, points, ("test_x.py", name),
                                        device="cpu", hidden=hidden, outcome=outcome,
                                        message=message if outcome == "failed" else "")
    return made


def two_thirds(name, function="f", points=1.0, message="wrong\n  Hint: a hint", hidden=False):
    return name, function, points, ["passed", "passed", "failed"], message, hidden


def test_check_scores_add_up_to_the_function_score_rounded_once():
    scores = board(two_thirds("test_a"), two_thirds("test_b"), two_thirds("test_c"))
    assert [result.score for result in scores.results()] == [0.67, 0.67, 0.66]
    assert scores.by_function() == {"f": (2.0, 3.0)} and scores.total() == (2.0, 3.0)
    results = results_json(scores, assignment="a", devices=["cpu"])
    assert results["score"] == 2.0 == sum(test["score"] for test in results["tests"])
    assert results["extra_data"]["functions"] == {"f": {"score": 2.0, "max_score": 3.0}}


def test_scores_never_exceed_the_points_and_the_table_prints_the_json_numbers():
    scores = board(two_thirds("test_a", points=2), ("test_b", "f", 1.0, ["passed"], "", False),
                   two_thirds("test_c", function="g", points=1))
    assert all(result.score <= result.max_score for result in scores.results())
    printed = table(scores, title="t")
    assert re.search(r"^  f +2\.33 / 3$", printed, re.M) and re.search(r"^  g +0\.67 / 1$", printed, re.M)
    assert re.search(r"^  total +3 / 4$", printed, re.M)
    assert results_json(scores, assignment="a", devices=["cpu"])["score"] == 3.0


def test_a_hidden_check_is_shown_after_publication_and_left_out_of_the_summary():
    scores = board(("test_seen", "f", 2.0, ["passed"], "", False),
                   ("test_secret", "f", 3.0, ["failed"], "wrong", True))
    results = results_json(scores, assignment="a", devices=["cpu"])
    visibility = {test["name"]: test["visibility"] for test in results["tests"]}
    assert visibility == {"test_seen": "visible", "test_secret": "after_published"}
    assert results["score"] == 2.0 and results["extra_data"]["max_score"] == 5.0
    assert "2 / 2 points on the checks shown here" in results["output"] and "test_secret" not in results["output"]
    assert "1 more check is hidden until the grades are published" in results["output"]


def test_the_cell_report_escapes_what_the_submission_wrote_and_sets_failures_apart():
    message = "f(x) raised ValueError: <script>alert(1)</script>\n  Expected: 1\n  Got:      2\n  Hint: add one"
    scores = board(("test_f_value", "f", 2.0, ["failed", "passed"], message, False))
    verdict = function_verdict(scores, "f", *scores.by_function()["f"])
    assert "<script>" not in verdict.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in verdict.html
    assert "<b>Expected:</b>" in verdict.html and "Hint: add one</span>" in verdict.html
    assert "&#10007;" in verdict.html and "1 / 2" in verdict.html and "<table" not in verdict.html
    assert verdict.text.startswith("f: 1 / 2 points\n  FAIL       1 / 2      1/2 cases  value\n")
    assert "<script>alert(1)</script>" in verdict.text


def test_the_plain_text_report_is_wrapped_and_keeps_every_word_of_the_reason():
    reason = "the values differ " + " ".join(f"word{index}" for index in range(80))
    scores = board(("test_f_value", "f", 1.0, ["failed"], reason, False),
                   (LONG, "f", 1.0, ["passed"], "", False))
    text = function_verdict(scores, "f", *scores.by_function()["f"]).text
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert " ".join(text.split()).count("word79") == 1 and "word0 word1" in " ".join(text.split())
    assert "cuda" not in text and "machine" not in text


@pytest.mark.parametrize("outcomes, expected", [(["failed"] * 3, "Not implemented yet"),
                                                (["failed", "passed"], "FAIL")])
def test_a_function_that_is_still_the_stub_is_said_in_one_line(outcomes, expected):
    message = "f(<tensor>) on cpu raised NotImplementedError (line 3)"
    scores = board(("test_f_value", "f", 2.0, outcomes, message, False),
                   ("test_f_grad", "f", 1.0, ["failed"], message, False))
    text = function_verdict(scores, "f", *scores.by_function()["f"]).text
    assert expected in text and (expected == "FAIL") == ("value" in text)


def test_a_missing_function_is_said_once_not_under_every_check():
    message = "`f` is not defined in the submission."
    scores = board(("test_f_value", "f", 2.0, ["failed", "failed"], message, False),
                   ("test_f_grad", "f", 1.0, ["failed"], message, False))
    verdict = function_verdict(scores, "f", *scores.by_function()["f"])
    assert verdict.text == "f: 0 / 3 points\n  Every check failed: `f` is not defined in the submission."
    assert verdict.html.count("is not defined in the submission") == 1


def policy_board(cases, forbidden=()):
    """cases: (check, function, kind, outcome); one case each, one point each."""
    board = Scoreboard()
    for check, function, kind, outcome in cases:
        board.checks[check] = Check(check, function, 1.0, ("t", check), kind=kind, outcome=outcome,
                                    forbidden=tuple(forbidden) if check.endswith("forbidden") else ())
    return board


def test_the_policy_withholds_a_function_wrong_on_every_value_case_and_nothing_else():
    board = policy_board([("f_value", "f", "value", "failed"), ("f_gradient", "f", "gradient", "passed"),
                          ("f_rule", "f", "rule", "passed"), ("g_value", "g", "value", "passed"),
                          ("g_other_value", "g", "value", "failed"), ("g_rule", "g", "rule", "passed")])
    assert board.by_function() == {"f": (0.0, 3.0), "g": (2.0, 3.0)}
    assert set(board.withheld) == {"f"} and "wrong on every case of its value checks (f_value)" in board.withheld["f"]
    text = table(board, title="t")
    assert "No points for f" in text and "No points for g" not in text
    assert results_json(board, assignment="a", devices=["cpu"])["extra_data"]["functions"]["f"]["withheld"]


def test_the_policy_withholds_a_function_whose_forbidden_check_found_a_use():
    board = policy_board([("h_value", "h", "value", "passed"), ("h_forbidden", "h", "forbidden", "failed")],
                         forbidden=["torch.nn.functional.mse_loss (cell 4, line 2)"])
    assert board.by_function() == {"h": (0.0, 2.0)}
    assert withheld_because("h", list(board.checks.values())).startswith(
        "no points for h: its work is done by a forbidden built-in, torch.nn.functional.mse_loss (cell 4, line 2)")
