"""Reading a submission: which file, which code, and what loading it says when a cell fails."""

import json
import os

import nbformat
import pytest

from graders.engine import loader


def notebook(path, cells):
    book = nbformat.v4.new_notebook()
    for source, grade_id, grade, locked in cells:
        meta = {"nbgrader": {"grade_id": grade_id, "grade": grade, "solution": False, "locked": locked,
                             "schema_version": 3}} if grade_id else {}
        book.cells.append(nbformat.v4.new_code_cell(source, metadata=meta))
    book.cells.append(nbformat.v4.new_markdown_cell("prose"))
    nbformat.write(book, path)
    return path


def test_a_folder_is_resolved_to_the_assignments_file_or_its_only_candidate(tmp_path):
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "mine.py").write_text("x = 1\n")
    assert loader.resolve(tmp_path, "losses") == tmp_path / "mine.py"
    (tmp_path / "losses.ipynb").write_text("{}")
    assert loader.resolve(tmp_path, "losses") == tmp_path / "losses.ipynb"


def test_ambiguous_missing_and_foreign_files_are_unreadable_with_a_reason(tmp_path):
    (tmp_path / "a.py").write_text("")
    (tmp_path / "b.py").write_text("")
    with pytest.raises(loader.UnreadableSubmission, match="holds 2 .py/.ipynb files"):
        loader.resolve(tmp_path)
    with pytest.raises(loader.UnreadableSubmission, match="does not exist"):
        loader.resolve(tmp_path / "gone.py")
    (tmp_path / "c.txt").write_text("")
    with pytest.raises(loader.UnreadableSubmission, match="neither a .py file nor a notebook"):
        loader.resolve(tmp_path / "c.txt")


def test_a_notebooks_code_leaves_out_test_cells_the_grader_cell_and_ipython_syntax(tmp_path):
    path = notebook(tmp_path / "losses.ipynb", [
        ("import torch", "imports", False, True),
        ("from graders.notebook import grade", "grader", False, True),
        ("%matplotlib inline\nx = 1\n!pip install nothing\ndef f():\n    !ls\n    return x", None, False, False),
        ('grade("f")', "grade_f", True, True),
        ("%%bash\necho hi", None, False, False),
    ])
    chunks = loader.code_chunks(path)
    assert [chunk.label for chunk in chunks] == ["cell 1", "cell 3"]
    assert chunks[1].source == "\nx = 1\n\ndef f():\n    pass\n    return x"


def test_executing_goes_on_past_a_failing_chunk_and_says_where_it_failed():
    namespace, errors = loader.execute([loader.Chunk("cell 1", "a = 1"), loader.Chunk("cell 2", "b = 1 / 0"),
                                        loader.Chunk("cell 3", "def c(\n"), loader.Chunk("cell 4", "d = a + 1")])
    assert namespace["d"] == 2
    assert errors == ["cell 2: ZeroDivisionError: division by zero (line 1)",
                      "cell 3: SyntaxError: '(' was never closed (line 1)"]


def test_an_unreadable_notebook_says_so_in_one_line(tmp_path):
    (tmp_path / "losses.ipynb").write_text("{ not json")
    with pytest.raises(loader.UnreadableSubmission, match="is not a readable notebook") as raised:
        loader.code_chunks(tmp_path / "losses.ipynb")
    assert "\n" not in str(raised.value)


def test_the_kernel_history_keeps_only_the_latest_definition_of_each_name():
    history = ["", "def f():\n    return 1", "f()", "def f():\n    return 2", "x = ("]
    sources = loader.kernel_history_sources({"_ih": history})
    assert "return 1" not in "".join(sources) and "return 2" in "".join(sources)


def test_only_regular_files_are_read_links_and_fifos_are_unreadable_with_the_reason(tmp_path):
    (tmp_path / "real.py").write_text("x = 1\n")
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / "losses.py").symlink_to(tmp_path / "real.py")
    (tmp_path / "folder_link").symlink_to(tmp_path / "linked", target_is_directory=True)
    (tmp_path / "piped").mkdir()
    os.mkfifo(tmp_path / "piped" / "losses.py")
    for path, reason in ((tmp_path / "linked", "symbolic link"), (tmp_path / "folder_link", "symbolic link"),
                         (tmp_path / "linked" / "losses.py", "symbolic link"),
                         (tmp_path / "piped", "not a regular file")):
        with pytest.raises(loader.UnreadableSubmission, match=reason):
            loader.code_chunks(loader.resolve(path, "losses"))
    # A FIFO put where a regular file was found is refused when read, without blocking.
    with pytest.raises(loader.UnreadableSubmission, match="not a regular file"):
        loader.read_bytes(tmp_path / "piped" / "losses.py")


@pytest.mark.parametrize("source", [42, ["x = 1\n", 2], None])
def test_a_malformed_cell_makes_the_notebook_unreadable_in_one_line(tmp_path, source):
    path = notebook(tmp_path / "losses.ipynb", [("import torch", None, False, False)])
    data = json.loads(path.read_text())
    data["cells"][0]["source"] = source
    path.write_text(json.dumps(data))
    with pytest.raises(loader.UnreadableSubmission, match="is not a readable notebook") as raised:
        loader.code_chunks(path)
    assert "\n" not in str(raised.value)


def test_code_of_any_reasonable_size_is_read_whole(tmp_path):
    code = "x = 1\n" + "# " + "y" * (12 << 20) + "\n"
    (tmp_path / "losses.py").write_text(code)
    assert loader.code_chunks(tmp_path / "losses.py")[0].source == code
