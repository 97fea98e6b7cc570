"""release/ and solutions/ are what `nngrade build` makes from exercises/, and the notebooks'
autograder cells are worth what the graders award."""

import json
import shutil

import nbformat
import pytest

from conftest import ROOT
from graders.engine import build
from graders.engine import runner

ASSIGNMENTS = build.assignments_in(ROOT)


def test_every_assignment_has_a_source_notebook_and_graders():
    assert ASSIGNMENTS, "no source notebooks found in exercises/"
    assert set(ASSIGNMENTS) == set(runner.assignments())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_module_is_generated_from_the_source_notebook(assignment):
    expected = build.solution_module(ROOT / "exercises" / assignment / f"{assignment}.ipynb")
    assert (ROOT / "solutions" / f"{assignment}.py").read_text() == expected, \
        "solutions/ has drifted from exercises/: run `nngrade build`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_what_nbgrader_generates_from_the_source(assignment, tmp_path):
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises")
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    build.generate_release(tmp_path, assignment)
    fresh = json.loads((tmp_path / "release" / assignment / f"{assignment}.ipynb").read_text())
    committed = json.loads((ROOT / "release" / assignment / f"{assignment}.ipynb").read_text())
    assert fresh == committed, "release/ has drifted from exercises/: run `nngrade build`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_stub_keeps_signatures_and_drops_solutions(assignment):
    release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in release.cells if cell.cell_type == "code")
    assert "BEGIN SOLUTION" not in code and "raise NotImplementedError()" in code


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograder_cells_are_worth_the_graders_points(assignment):
    source = nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    cells = {}
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            function = cell.source.split('"')[1]
            cells[function] = meta["points"]
    assert cells == runner.declared_points(assignment)
