"""Scores from a graders run: shares of points among cases, skipped devices, the table and results.json."""

from graders.engine.report import Check, Scoreboard, function_report, results_json, table, withheld_because


def board_of(cases) -> Scoreboard:
    """cases: (check, function, points, case, outcome, message)."""
    board = Scoreboard()
    for check, function, points, case, outcome, message in cases:
        board.checks[f"{check}[{case}]"] = Check(f"{check}[{case}]", function, points, ("t", check),
                                                   device=case.split("-")[0], outcome=outcome, message=message)
    board.settle()
    return board


BOARD = [
    ("test_f_value", "f", 3.0, "cpu-a", "passed", ""),
    ("test_f_value", "f", 3.0, "cpu-b", "failed", "f(x) differs\n  Hint: a sum"),
    ("test_f_value", "f", 3.0, "cuda-a", "skipped", "cuda is not available on this machine"),
    ("test_f_rule", "f", 1.0, "cpu-a", "passed", ""),
    ("test_g_value", "g", 2.0, "cpu-a", "failed", "g broke"),
]


def test_a_checks_points_are_shared_by_the_cases_that_ran_and_skips_count_for_nothing():
    board = board_of(BOARD)
    assert board.by_function() == {"f": (2.5, 4.0), "g": (0.0, 2.0)}
    assert board.total() == (2.5, 6.0)
    assert [check.name for check in board.skipped()] == ["test_f_value[cuda-a]"]


def test_the_table_shows_each_check_once_its_first_failure_and_the_totals():
    text = table(board_of(BOARD), title="title")
    assert text.splitlines()[0] == "title"
    assert "FAIL  test_f_value" in text and "1/2 cases" in text and "failed: cpu-b" in text
    assert "Hint: a sum" in text and "PASS  test_f_rule" in text
    assert "Skipped (not counted): cuda is not available on this machine" in text
    assert text.splitlines()[-1].split() == ["total", "2.50", "/", "6.00"]


def test_a_function_report_holds_that_function_only():
    text = function_report(board_of(BOARD), "g", 0.0, 2.0)
    assert text.startswith("g: 0 / 2 points") and "g broke" in text and "test_f_value" not in text


def test_results_json_has_gradescopes_fields_and_per_function_totals():
    results = results_json(board_of(BOARD), assignment="a", devices=["cpu"], student="s")
    assert results["score"] == 2.5
    assert {"name", "score", "max_score", "status", "output"} <= set(results["tests"][0])
    assert results["extra_data"]["functions"] == {"f": {"score": 2.5, "max_score": 4.0},
                                                  "g": {"score": 0.0, "max_score": 2.0}}
    assert results["extra_data"]["student"] == "s" and results["extra_data"]["max_score"] == 6.0


def policy_board(cases, forbidden=()):
    """cases: (check, function, kind, outcome); one case each, one point each."""
    board = Scoreboard()
    for check, function, kind, outcome in cases:
        board.checks[check] = Check(check, function, 1.0, ("t", check), kind=kind, outcome=outcome,
                                    forbidden=tuple(forbidden) if check.endswith("forbidden") else ())
    board.settle()
    return board


def test_the_policy_withholds_a_function_wrong_on_every_value_case_and_nothing_else():
    board = policy_board([("f_value", "f", "value", "failed"), ("f_gradient", "f", "gradient", "passed"),
                          ("f_rule", "f", "rule", "passed"), ("g_value", "g", "value", "passed"),
                          ("g_other_value", "g", "value", "failed"), ("g_rule", "g", "rule", "passed")])
    assert board.by_function() == {"f": (0.0, 3.0), "g": (2.0, 3.0)}
    assert set(board.withheld) == {"f"} and "wrong on every case of its value checks (f_value)" in board.withheld["f"]
    text = table(board, title="t")
    assert "No points for f" in text and "PASS  f_rule" in text and "No points for g" not in text
    assert results_json(board, assignment="a", devices=["cpu"])["extra_data"]["functions"]["f"]["withheld"]


def test_the_policy_withholds_a_function_whose_forbidden_check_found_a_use():
    board = policy_board([("h_value", "h", "value", "passed"), ("h_forbidden", "h", "forbidden", "failed")],
                         forbidden=["torch.nn.functional.mse_loss (cell 4, line 2)"])
    assert board.by_function() == {"h": (0.0, 2.0)}
    assert withheld_because("h", list(board.checks.values())).startswith(
        "no points for h: its work is done by a forbidden built-in, torch.nn.functional.mse_loss (cell 4, line 2)")
