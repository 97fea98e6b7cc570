"""The one comparison: tolerances by dtype and device, what a failure message says, and which
hints it may give."""

import pytest
import torch
from _pytest.outcomes import Failed

from graders.checks import compare


def failure(actual, expected, **options) -> str:
    with pytest.raises(Failed) as raised:
        compare.expect_close(actual, expected, what="f(x) on cpu: the values differ.", **options)
    return str(raised.value)


def test_cpu_tolerances_are_torch_testing_defaults_and_gpus_get_more_room_in_float32():
    assert compare.tolerance(torch.float32, "cpu") == (1.3e-6, 1e-5)
    assert compare.tolerance(torch.float64, "cpu") == (1e-7, 1e-7)
    assert compare.tolerance(torch.float32, "cuda:0") > compare.tolerance(torch.float32, "cpu")
    assert compare.tolerance(torch.float64, "mps") == compare.tolerance(torch.float64, "cpu")


def test_values_within_tolerance_pass_and_beyond_it_fail():
    expected = torch.tensor([1.0, 2.0, 3.0])
    assert compare.mismatch(expected + 1e-7, expected) is None
    assert compare.mismatch(expected + 1e-3, expected) is not None
    assert compare.mismatch(expected.double(), expected) is None  # the dtype is a separate check


def test_shape_and_type_are_compared_before_values():
    expected = torch.zeros(3)
    assert "shape (1, 3) came back, expected (3,)" in compare.mismatch(torch.zeros(1, 3), expected)
    assert "a float came back" in compare.mismatch(0.0, expected)


def test_a_failure_says_what_was_checked_expected_got_where_and_by_how_much():
    message = failure(torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]))
    lines = message.splitlines()
    assert lines[0] == "f(x) on cpu: the values differ."
    assert lines[1].startswith("  Expected: tensor([1., 2.])")
    assert lines[2].startswith("  Got:      tensor([1.0000, 2.5000])")
    assert "Mismatched elements: 1 / 2" in message and "index (1,)" in message


def test_a_known_mistake_is_named_only_when_it_reproduces_the_output():
    expected = torch.tensor([1.0, 2.0])
    mistakes = {"a sum where a mean was wanted.": torch.tensor([2.0, 4.0])}
    assert "Hint: a sum where a mean was wanted." in failure(torch.tensor([2.0, 4.0]), expected, mistakes=mistakes)
    assert "a sum where a mean" not in failure(torch.tensor([2.0, 4.5]), expected, mistakes=mistakes)


def test_inf_and_nan_are_named_as_such():
    assert "inf or nan" in failure(torch.tensor([1.0, float("inf")]), torch.tensor([1.0, 2.0]))


def test_a_constant_factor_is_observed_and_no_cause_is_guessed():
    assert "exactly 3 times the expected one." in failure(torch.tensor([3.0, 6.0]), torch.tensor([1.0, 2.0]))
    half = failure(torch.tensor([0.5, 1.0]), torch.tensor([1.0, 2.0]))
    assert "exactly half of the expected one." in half and "sum" not in half and "mean" not in half
    assert "exactly the negative" in failure(torch.tensor([-1.0, -2.0]), torch.tensor([1.0, 2.0]))


def test_a_recomputed_mistake_is_named_even_when_it_holds_nan_and_inf():
    got = torch.tensor([float("nan"), float("inf"), 1.0])
    mistakes = {"the naive formula.": torch.tensor([float("nan"), float("inf"), 1.0]),
                "another.": torch.tensor([float("nan"), 2.0, 1.0])}
    assert "Hint: the naive formula." in failure(got, torch.tensor([1.0, 2.0, 3.0]), mistakes=mistakes)


def test_long_tensors_are_shown_in_part_with_their_size():
    message = failure(torch.ones(100), torch.zeros(100))
    assert "(100 values, shape (100,))" in message
