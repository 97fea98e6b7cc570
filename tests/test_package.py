"""What students install holds the graders and no answer: the wheel and the sdist, built as an
instructor builds them to publish, contain no reference solution, no source notebook and no
catalogue of correct submissions."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from conftest import ROOT, SUBMISSIONS


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """`python -m build` on a copy of the repository's files (the build leaves folders behind)."""
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md", "MANIFEST.in", "nbgrader_config.py"):
        shutil.copy(ROOT / name, tree / name)
    for folder in ("graders", "solutions", "exercises", "release", "tests"):
        shutil.copytree(ROOT / folder, tree / folder, ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(tree)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheel, = dist.glob("*.whl")
    sdist, = dist.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        wheel_files = {name: archive.read(name).decode("utf-8", "replace") for name in archive.namelist()}
    with tarfile.open(sdist) as archive:
        sdist_files = {member.name.partition("/")[2]: archive.extractfile(member).read().decode("utf-8", "replace")
                       for member in archive.getmembers() if member.isfile()}
    return {"wheel": wheel_files, "sdist": sdist_files}


def bodies(path) -> list[str]:
    """The code of every function and method in a module, docstrings left out, one line per statement."""
    source = path.read_text()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body[1:] if ast.get_docstring(node) else node.body
            lines = [line.strip() for statement in body
                     for line in ast.get_source_segment(source, statement).splitlines() if line.strip()]
            if len(lines) >= 2:
                found.append("\n".join(lines))
    return found


def normalised(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


ANSWERS = sorted((ROOT / "solutions").glob("*.py")) + sorted(SUBMISSIONS.glob("*/correct_*.py"))


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_package_holds_the_graders_and_nothing_else(built, kind):
    names = [name for name in built[kind] if not name.startswith(("nngrade-", "nngrade.egg-info"))]
    assert "graders/cli.py" in names and "graders/test_losses.py" in names
    assert [name for name in names if not name.startswith("graders/")] == (
        [] if kind == "wheel" else ["MANIFEST.in", "PKG-INFO", "README.md", "pyproject.toml", "setup.cfg"])


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_no_answer_is_in_the_package(built, kind):
    assert len(ANSWERS) > 7 and all(bodies(path) for path in ANSWERS)
    everything = normalised("\n".join(built[kind].values()))
    lines = set(everything.splitlines())
    for marker in ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS"):
        assert marker not in lines  # a solution cell's marker line (graders/engine/build.py names them, in quotes)
    for path in ANSWERS:
        for body in bodies(path):
            assert body not in everything, f"{path.relative_to(ROOT)} holds code that the {kind} contains:\n{body}"


def test_the_wheel_pins_torch_and_brings_what_the_notebooks_need(built):
    metadata = next(text for name, text in built["wheel"].items() if name.endswith(".dist-info/METADATA"))
    required = [line.removeprefix("Requires-Dist: ") for line in metadata.splitlines()
                if line.startswith("Requires-Dist: ") and "extra ==" not in line]
    assert "torch==2.13.0" in required
    for package in ("numpy", "matplotlib", "ipykernel", "nbformat", "pytest"):
        assert any(line.startswith(package) for line in required), package
