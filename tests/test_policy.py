"""The points policy, on real submissions and as the README and the notebooks state it.

Every check runs and reports on every submission; a function earns nothing when it is wrong on every case
of its value checks (its gradient points included), or when its work is done by a forbidden built-in. The
policy is applied in one place, `Scoreboard.results` through `withheld` (graders/engine/report.py)."""

import re

import nbformat
import pytest

from conftest import ROOT, failed_groups
from graders.engine import runner
from graders.engine.report import table

LOSS_PLUS_A_CONSTANT = '''
def mse_loss(input, target, reduction="mean"):
    return apply_reduction((input - target) ** 2 + 1.0, reduction)  # wrong everywhere; its gradient is right
'''

MEAN_RETURNS_THE_SUM = '''
def mse_loss(input, target, reduction="mean"):
    losses = (input - target) ** 2
    if reduction == "mean":
        return losses.sum()  # one wrong case
    return apply_reduction(losses, reduction)
'''

RETURNS_THE_BUILT_IN = '''
import torch.nn.functional as F


def cross_entropy(input, target, reduction="mean"):
    return F.cross_entropy(input, target, reduction=reduction)
'''


def graded(tmp_path, code, function):
    path = tmp_path / "losses.py"
    path.write_text((ROOT / "solutions" / "losses.py").read_text() + "\n\n" + code)
    return runner.grade(path, "losses", device="cpu", function=function)


def scores(board):
    return {result.name: result for result in board.results()}


def test_a_function_wrong_on_every_value_case_earns_nothing_not_even_its_gradient_points(tmp_path):
    board = graded(tmp_path, LOSS_PLUS_A_CONSTANT, "mse_loss")
    checks = scores(board)
    assert checks["test_mse_loss_gradient_matches_pytorch"].status == "passed"  # it still runs and reports
    assert checks["test_mse_loss_uses_no_forbidden_builtin"].status == "passed"
    assert board.by_function()["mse_loss"] == (0.0, 9.0)
    assert "no points for mse_loss: it is wrong on every case of its value checks" in board.withheld["mse_loss"]
    assert "No points for mse_loss" in table(board, title="t")


def test_a_submission_wrong_everywhere_but_in_its_gradients_earns_nothing(tmp_path):
    code = (ROOT / "tests" / "submissions" / "losses" / "wrong_every_loss_plus_a_constant.py").read_text()
    board = graded(tmp_path, code, None)
    assert board.total() == (0.0, 42.0)
    assert set(board.withheld) == {"mse_loss", "logsumexp", "cross_entropy", "binary_cross_entropy_with_logits"}


def test_one_wrong_case_costs_that_case_and_every_other_check_keeps_its_points(tmp_path):
    board = graded(tmp_path, MEAN_RETURNS_THE_SUM, "mse_loss")
    failed = failed_groups(board)
    assert set(failed) == {"test_mse_loss_matches_pytorch", "test_mse_loss_gradient_matches_pytorch"}
    assert "mse_loss" not in board.withheld
    checks = scores(board)
    for rule in ("rejects_an_unknown_reduction", "returns_a_plain_tensor_of_the_input_dtype_and_device",
                 "leaves_its_inputs_unmodified", "uses_no_forbidden_builtin", "creates_no_tensor_on_another_device"):
        check = checks[f"test_mse_loss_{rule}"]
        assert check.status == "passed" and check.score == check.max_score > 0, rule
    score, top = board.by_function()["mse_loss"]
    assert 0 < score < top


def test_a_function_whose_work_a_forbidden_built_in_does_earns_nothing_and_is_told_where(tmp_path):
    board = graded(tmp_path, RETURNS_THE_BUILT_IN, "cross_entropy")
    assert failed_groups(board).keys() == {"test_cross_entropy_uses_no_forbidden_builtin"}
    assert board.by_function()["cross_entropy"] == (0.0, 12.0)
    lines = (tmp_path / "losses.py").read_text().splitlines()
    line = 1 + max(number for number, text in enumerate(lines) if "return F.cross_entropy" in text)
    assert board.withheld["cross_entropy"].startswith(
        f"no points for cross_entropy: its work is done by a forbidden built-in, "
        f"torch.nn.functional.cross_entropy (losses.py, line {line})")
    assert "not checked yet" not in table(board, title="t")


# ---------------------------------------------------------------- where the contract and the policy are written

def policy_in_readme() -> str:
    text = (ROOT / "README.md").read_text()
    quoted = text.partition("The points policy, as each notebook's introduction states it to students:")[2]
    lines = []
    for line in quoted.lstrip("\n").splitlines():
        if not line.startswith(">"):
            break
        lines.append(line.removeprefix("> ").removeprefix(">"))
    return "\n".join(lines)


@pytest.mark.parametrize("assignment", runner.assignments())
def test_each_notebook_states_the_policy_and_its_contract_once_as_the_readme_says(assignment):
    policy = policy_in_readme()
    assert policy.startswith("**How your points are counted.**")
    for folder in ("exercises", "release"):
        notebook = nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)
        intro, contract = notebook.cells[0], notebook.cells[1]
        assert policy in intro.source
        assert "[the contract](#The-contract)" in intro.source
        headings = [cell for cell in notebook.cells if cell.cell_type == "markdown"
                    and re.search(r"^## The contract$", cell.source, re.M)]
        assert headings == [contract] and contract.metadata["nbgrader"]["grade_id"] == "contract"
        functions = runner.declared_points(assignment)
        assert all(re.search(rf"`(class )?{function}\b", contract.source) for function in functions)
    assert f"[exercises/{assignment}/{assignment}.ipynb](exercises/{assignment}/{assignment}.ipynb), section " \
           "\"The contract\"" in (ROOT / "README.md").read_text()
