"""Every assignment's graders against its reference, its released stub, its source notebook, the
known mistakes in tests/submissions/<assignment>/wrong_*.py and the other correct styles in
tests/submissions/<assignment>/correct_*.py."""

import pytest

from conftest import ROOT, catalogue, expectations, failed_groups, with_reference
from graders.engine import runner

ASSIGNMENTS = runner.assignments()
WRONG = [(a, path) for a in ASSIGNMENTS for path in catalogue(a, "wrong")]
CORRECT = [(a, path) for a in ASSIGNMENTS for path in catalogue(a, "correct")]


def full_marks(assignment):
    return sum(runner.declared_points(assignment).values())


def ids(pair):
    return f"{pair[0]}/{pair[1].stem}" if isinstance(pair, tuple) else str(pair)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_solution_gets_full_marks(grade, assignment):
    board = grade(ROOT / "solutions" / f"{assignment}.py", assignment)
    assert failed_groups(board) == {}
    assert board.total() == (full_marks(assignment),) * 2


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_gets_full_marks(grade, assignment):
    board = grade(ROOT / "exercises" / assignment / f"{assignment}.ipynb", assignment)
    assert board.total() == (full_marks(assignment),) * 2


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_stub_gets_zero(grade, assignment):
    board = grade(ROOT / "release" / assignment / f"{assignment}.ipynb", assignment)
    assert board.total() == (0.0, full_marks(assignment))


@pytest.mark.parametrize("case", CORRECT, ids=ids)
def test_correct_solution_in_another_style_gets_full_marks(grade, case):
    assignment, path = case
    board = grade(path, assignment)
    assert failed_groups(board) == {}
    assert board.total() == (full_marks(assignment),) * 2


@pytest.mark.parametrize("case", WRONG, ids=ids)
def test_known_mistake_fails_the_check_that_names_it(grade, case, tmp_path):
    assignment, path = case
    must_fail, hint = expectations(path)
    assert must_fail, f"{path.name} does not say which checks it must fail"
    board = grade(with_reference(path, assignment, tmp_path), assignment)
    failed = failed_groups(board)
    for check in must_fail:
        assert check in failed, f"{path.name} should fail {check}; it failed {sorted(failed)}"
    if hint:
        messages = "\n".join(message for check in must_fail for message in failed[check])
        assert hint.lower() in messages.lower(), f"{path.name}: hint {hint!r} missing from:\n{messages}"
    score, top = board.total()
    assert score < top


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_check_is_failed_by_some_known_mistake(grade, assignment):
    reference = grade(ROOT / "solutions" / f"{assignment}.py", assignment)
    checks = {check.group[1] for check in reference.graded()}
    caught = set()
    for path in catalogue(assignment, "wrong"):
        caught |= set(expectations(path)[0])
    assert checks - caught == set(), "checks that no wrong submission in tests/ is shown to fail"
