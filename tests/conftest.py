"""Fixtures for the project's own tests: grading a catalogue submission and reading the verdict."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graders.engine import runner

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"


def catalogue(assignment: str, prefix: str) -> list[Path]:
    return sorted((SUBMISSIONS / assignment).glob(f"{prefix}_*.py"))


def expectations(path: Path) -> tuple[list[str], str | None]:
    """The checks a wrong submission must fail and the hint it must get, from its docstring."""
    text = path.read_text()
    fails = re.search(r"^fails:\s*(.+)$", text, re.M)
    hint = re.search(r"^hint:\s*(.+)$", text, re.M)
    return ([name.strip() for name in fails.group(1).split(",")] if fails else [],
            hint.group(1).strip() if hint else None)


def with_reference(override: Path, assignment: str, folder: Path) -> Path:
    """The reference solution with the functions in `override` redefined after it."""
    combined = folder / f"{assignment}.py"
    combined.write_text((ROOT / "solutions" / f"{assignment}.py").read_text() + "\n\n" + override.read_text())
    return combined


def failed_groups(board) -> dict[str, list[str]]:
    """Check name -> failure messages, for every check with at least one failed case."""
    failed: dict[str, list[str]] = {}
    for check in board.graded():
        if check.outcome == "failed":
            failed.setdefault(check.group[1], []).append(check.message)
    return failed


@pytest.fixture(scope="session")
def grade():
    return runner.grade
