"""One comparison routine and one tolerance table.

`expect_close` compares what a submission returned against the reference with the tolerance
for the reference's dtype and device, and fails the check with a message in the manner of
`torch.testing.assert_close`: what was checked, expected against got, where and by how much,
and a hint when the result matches a known mistake.
"""

from __future__ import annotations

import math

import torch
from pytest import fail as pytest_fail
from torch import Tensor, allclose, full_like, isfinite, no_grad
from torch.testing import assert_close  # bound at import: a submission may replace torch.testing's

# What the comparison calls is bound above, when the graders are imported, before any submission
# is loaded: a submission that replaces torch.isfinite or pytest.fail does not reach these names.
# (assert_close's own internals still look torch's functions up when called.)
_device, _float_is_finite = torch.device, math.isfinite

# assert_close imports torch.distributed.tensor (0.7 s, sympy included) on its first call, to unwrap
# DTensors. What the judge compares was decoded from plain data or computed here: never a DTensor.
if hasattr(torch.testing._comparison, "_HAS_DTENSOR"):
    torch.testing._comparison._HAS_DTENSOR = False

# (rtol, atol) by device type and dtype. CPU values are torch.testing.assert_close's defaults.
# On GPUs, reductions run in a different order and some kernels use fused or approximate
# arithmetic, so float32 gets about ten times more room there.
TOLERANCES = {
    ("cpu", torch.float32): (1.3e-6, 1e-5),
    ("cpu", torch.float64): (1e-7, 1e-7),
    ("cuda", torch.float32): (1e-5, 1e-5),
    ("cuda", torch.float64): (1e-7, 1e-7),
    ("mps", torch.float32): (1e-5, 1e-5),
}


def tolerance(dtype: torch.dtype, device: str = "cpu") -> tuple[float, float]:
    device = _device(device).type
    return TOLERANCES.get((device, dtype), TOLERANCES[("cpu", dtype)])


def fail(message: str):
    """Fail the current check with `message` and no grader traceback."""
    pytest_fail(message, pytrace=False)


def mismatch(actual, expected: torch.Tensor, device: str = "cpu", *, equal_nan: bool = False) -> str | None:
    """None when `actual` equals `expected` within tolerance, else the details of how it differs.
    (`equal_nan`: nan matches nan, for telling whether a result reproduces a known mistake.)"""
    if not isinstance(actual, Tensor):
        return f"a {type(actual).__name__} came back where a tensor was expected"
    if actual.shape != expected.shape:
        return f"shape {tuple(actual.shape)} came back, expected {tuple(expected.shape)}"
    rtol, atol = tolerance(expected.dtype, device)
    try:
        assert_close(actual.to(expected.dtype), expected.detach().cpu(), rtol=rtol, atol=atol,
                     check_dtype=False, check_device=False, equal_nan=equal_nan)
    except AssertionError as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        return "\n".join(lines[1:]) if len(lines) > 1 else lines[0]
    return None


_NOTHING = object()


def message(what: str, *, expected=_NOTHING, got=_NOTHING, details: str | None = None,
            hint: str | None = None) -> str:
    """Every failure message, in one shape: what was checked and what went wrong, then expected
    against got, where and by how much (`details`), and a hint."""
    lines = [what]
    if expected is not _NOTHING:
        lines.append(f"  Expected: {_show(expected)}")
    if got is not _NOTHING:
        lines.append(f"  Got:      {_show(got)}")
    lines += [f"  {line}" for line in (details or "").splitlines()]
    if hint:
        lines.append(f"  Hint: {hint}")
    return "\n".join(lines)


def expect_close(actual, expected: torch.Tensor, *, what: str, device: str = "cpu",
                 mistakes: dict[str, torch.Tensor] | None = None, hint: str | None = None):
    """Fail unless `actual` equals `expected`; name a known mistake when `actual` equals one."""
    problem = mismatch(actual, expected, device)
    if problem is None:
        return
    diagnosis = known_mistake(actual, device, mistakes or {}) or hint or symptom(actual, expected)
    fail(message(what, expected=expected, got=actual, details=problem, hint=diagnosis))


def known_mistake(actual, device, mistakes) -> str | None:
    """The hint of the known mistake whose result `actual` reproduces: the mistake was recomputed
    (in the judge, on the same inputs) and gave the same numbers, nan and inf included. A hint may
    hold a list of results: the variants of one mistake."""
    if not isinstance(actual, Tensor):
        return None
    for hint, wrongs in mistakes.items():
        for wrong in wrongs if isinstance(wrongs, list) else [wrongs]:
            if isinstance(wrong, Tensor) and actual.shape == wrong.shape and \
                    mismatch(actual, wrong.detach(), device, equal_nan=True) is None:
                return hint
    return None


def symptom(actual, expected) -> str | None:
    """What was observed, when no recomputed mistake matches: inf/nan where the true values are
    finite, or one constant factor everywhere. It names no cause: only a recomputation may."""
    if not isinstance(actual, Tensor):
        return None
    if actual.shape == expected.shape and actual.is_floating_point():
        finite = isfinite(expected.cpu())
        if finite.all() and not isfinite(actual).all():
            return ("some results are inf or nan where the true values are finite: some intermediate value "
                    "overflowed, or a log() or a division met a zero.")
        ratio = constant_ratio(actual.double(), expected.detach().cpu().double())
        if ratio is None:
            return None
        if abs(ratio + 1) < 1e-4:
            return "every value is exactly the negative of the expected one."
        if ratio > 1.5 and abs(ratio - round(ratio)) < 1e-3:
            return f"every value is exactly {round(ratio)} times the expected one."
        if 0 < ratio < 0.67 and abs(1 / ratio - round(1 / ratio)) < 1e-3:
            share = "half" if round(1 / ratio) == 2 else f"1/{round(1 / ratio)}"
            return f"every value is exactly {share} of the expected one."
    return None


def constant_ratio(actual: torch.Tensor, expected: torch.Tensor) -> float | None:
    """actual / expected when that is one and the same number everywhere expected is not tiny."""
    usable = expected.abs() > 1e-12
    if not usable.any():
        return None
    ratios = actual[usable] / expected[usable]
    first = ratios.flatten()[0].item()
    if not _float_is_finite(first) or not allclose(ratios, full_like(ratios, first), rtol=1e-4):
        return None
    return first


def _show(value) -> str:
    if isinstance(value, Tensor):
        with no_grad():
            text = repr(value.detach().cpu() if value.numel() <= 8 else value.detach().cpu().flatten()[:6])
        text = " ".join(text.split())
        suffix = "" if value.numel() <= 8 else f" ... ({value.numel()} values, shape {tuple(value.shape)})"
        return text + suffix
    return repr(value)[:200]
