"""The losses graders against the reference, the released stub, known mistakes and other correct styles."""

import pytest

from conftest import ROOT, catalogue, expectations, failed_groups, with_reference

WRONG = catalogue("losses", "wrong")
CORRECT = catalogue("losses", "correct")


def test_reference_solution_gets_full_marks(grade):
    board = grade(ROOT / "solutions" / "losses.py", "losses")
    assert failed_groups(board) == {}
    assert board.total() == (42.0, 42.0)


def test_released_stub_gets_zero(grade):
    board = grade(ROOT / "release" / "losses" / "losses.ipynb", "losses")
    assert board.total() == (0.0, 42.0)


def test_source_notebook_gets_full_marks(grade):
    assert grade(ROOT / "exercises" / "losses" / "losses.ipynb", "losses").total() == (42.0, 42.0)


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
def test_correct_solution_in_another_style_gets_full_marks(grade, path):
    board = grade(path, "losses")
    assert failed_groups(board) == {}
    assert board.total() == (42.0, 42.0)


@pytest.mark.parametrize("path", WRONG, ids=lambda p: p.stem)
def test_known_mistake_fails_the_check_that_names_it(grade, path, tmp_path):
    must_fail, hint = expectations(path)
    assert must_fail, f"{path.name} does not say which checks it must fail"
    board = grade(with_reference(path, "losses", tmp_path), "losses")
    failed = failed_groups(board)
    for check in must_fail:
        assert check in failed, f"{path.name} should fail {check}; it failed {sorted(failed)}"
    if hint:
        messages = "\n".join(message for check in must_fail for message in failed[check])
        assert hint.lower() in messages.lower(), f"{path.name}: hint {hint!r} missing from:\n{messages}"
    score, top = board.total()
    assert score < top


def test_every_check_is_failed_by_some_known_mistake(grade):
    reference = grade(ROOT / "solutions" / "losses.py", "losses")
    checks = {check.group[1] for check in reference.graded()}
    caught = set()
    for path in WRONG:
        caught |= set(expectations(path)[0])
    assert checks - caught == set(), "checks that no wrong submission in tests/ is shown to fail"
