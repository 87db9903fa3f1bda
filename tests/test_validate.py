"""grader validate: what a student sees before submitting, from the released material alone.

The student's installed self-check (its own wheel, in a fresh venv) is tested in test_selfcheck.py;
these tests run the same code in the project's environment, in every way it runs student code.
"""

import re
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader.assignment import Assignment
from grader.cli import main
from grader.errors import UserError
from grader.notebook.variants import Variant
from grader.sampleclass import release_notebook, submission
from grader.validate import MODES, Release, find_release, shown_message, validate

ASSIGNMENT = Assignment.find("conv2d")
POOLING = Assignment.find("pooling").release_path()
# correlate2d as a true convolution (kernel flipped): numpy's assert_allclose fails on the lecture's example
FLIPPED = """\
def correlate2d(x, w):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)[::-1, ::-1]
    U, V = w.shape
    return np.array([[np.sum(x[i:i + U, j:j + V] * w) for j in range(x.shape[1] - V + 1)]
                     for i in range(x.shape[0] - U + 1)])
"""


def write(tmp_path, notebook, name="conv2d.ipynb"):
    path = tmp_path / name
    nbformat.write(notebook, path)
    return path


def with_code(**cells) -> nbformat.NotebookNode:
    """The solution with some solution cells replaced (grade id -> code)."""
    return submission(ASSIGNMENT, Variant("test", "", (), "", cells))


@pytest.fixture
def student(tmp_path, monkeypatch):
    """A student's folder: only release/conv2d/ (copied), the current directory; GRADER_HOME points elsewhere."""
    shutil.copytree(ASSIGNMENT.release_path().parent, tmp_path / "release" / "conv2d")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRADER_HOME", str(tmp_path / "nowhere"))
    return tmp_path


def test_solution_passes_all_visible_tests(tmp_path, capsys):
    assert main(["validate", str(write(tmp_path, submission(ASSIGNMENT, None)))]) == 0
    out = capsys.readouterr().out
    assert "all visible tests pass" in out
    assert out.count("ok") >= 4


def test_stub_reports_what_is_not_implemented(tmp_path, capsys):
    assert main(["validate", str(write(tmp_path, release_notebook(ASSIGNMENT)))]) == 1
    out = capsys.readouterr().out
    lines = {line.split()[-4] if "not implemented" in line else "": line for line in out.splitlines()}
    assert "correlate2d_tests" in lines and "conv2d_tests" in lines, out


def test_extra_cells_are_flagged_as_not_graded(tmp_path, capsys):
    notebook = submission(ASSIGNMENT, None)
    notebook.cells.insert(3, new_code_cell("def helper():\n    return 1"))
    main(["validate", str(write(tmp_path, notebook))])
    assert "not a solution cell: the grader ignores it" in capsys.readouterr().out


def test_ungradable_notebook_says_why(tmp_path, capsys):
    path = tmp_path / "conv2d.ipynb"
    path.write_text("{ not json")
    assert main(["validate", str(path)]) == 1
    assert "UNGRADABLE" in capsys.readouterr().out


# ----------------------------------------------------------------------------- released material only

def test_runs_from_a_folder_holding_only_the_release(student, capsys):
    """No assignments/, reference/ or grading/ anywhere it looks: release/conv2d/ is enough."""
    path = write(student, submission(ASSIGNMENT, None))
    release = find_release(None, path)
    assert release == Release("conv2d", (student / "release" / "conv2d" / "conv2d.ipynb").resolve())
    assert main(["validate", "conv2d.ipynb"]) == 0
    assert "all visible tests pass" in capsys.readouterr().out


@pytest.mark.parametrize("mode", MODES)
def test_every_way_of_running_reports_the_same(student, mode):
    """The sandbox, unconfined (a Mac, Linux without bubblewrap) and portable (Windows) runs agree."""
    release = find_release("conv2d", student / "conv2d.ipynb")
    solution = validate(write(student, submission(ASSIGNMENT, None)), release, mode=mode)
    assert solution.ok and [c["id"] for c in solution.cells] == [
        "imports", "correlate2d_impl", "correlate2d_tests", "conv2d_impl", "conv2d_tests"], solution
    stub = validate(write(student, release_notebook(ASSIGNMENT)), release, mode=mode)
    assert [c["id"] for c in stub.cells if c.get("error") == "NotImplementedError"] == [
        "correlate2d_tests", "conv2d_tests"], stub.cells
    wrong = validate(write(student, with_code(correlate2d_impl=FLIPPED)), release, mode=mode)
    failed = {c["id"]: c for c in wrong.cells if not c["ok"]}
    assert set(failed) == {"correlate2d_tests"}, wrong.cells   # the solution's conv2d does not use correlate2d
    assert failed["correlate2d_tests"]["where"] == "cell correlate2d_tests, line 6"   # the notebook's own line
    assert "Mismatched elements: 4 / 4 (100%)" in failed["correlate2d_tests"]["full_message"]


def test_a_wrong_numpy_result_shows_the_mismatch_lines(student, capsys):
    assert main(["validate", str(write(student, with_code(correlate2d_impl=FLIPPED)))]) == 1
    out = capsys.readouterr().out
    assert "visible test  correlate2d_tests         AssertionError (cell correlate2d_tests, line 6):" in out
    for line in ("Not equal to tolerance rtol=1e-06, atol=1e-09", "Mismatched elements: 4 / 4 (100%)",
                 "Max absolute difference among violations: 31.", " ACTUAL: array([[ 7.,  2.],"):
        assert "\n" + " " * 16 + line + "\n" in out, out


def test_a_long_message_is_bounded():
    lines = shown_message("\nfirst\n\n" + "\n".join("x" * 500 for _ in range(100)))
    assert lines[0] == "first" and len(lines) <= 25 and lines[-1].endswith("more lines)")
    assert max(len(line) for line in lines) <= 200 and sum(map(len, lines)) <= 2600
    assert shown_message("\n".join("x" * 150 for _ in range(100)), "hu")[-1] == "… (még 84 sor)"


def test_a_one_line_message_stays_on_the_cell_line(student, capsys):
    code = "def correlate2d(x, w):\n    return np.zeros((3, 3))\n"
    main(["validate", str(write(student, with_code(correlate2d_impl=code)))])
    out = capsys.readouterr().out
    assert ("correlate2d_tests         AssertionError: expected shape (2, 2), got (3, 3) "
            "(cell correlate2d_tests, line 5)") in out, out


def test_a_renamed_notebook_gets_the_assignment_hint(student, capsys):
    write(student, submission(ASSIGNMENT, None), "HW1_Toth_Daniel_final.ipynb")
    assert main(["validate", "HW1_Toth_Daniel_final.ipynb"]) == 2
    err = capsys.readouterr().err
    assert "no released assignment named 'HW1_Toth_Daniel_final'" in err
    assert "Known: conv2d;" in err   # only what this folder holds
    assert "it looks like conv2d: grader validate HW1_Toth_Daniel_final.ipynb --assignment conv2d" in err
    assert main(["validate", "HW1_Toth_Daniel_final.ipynb", "--assignment", "conv2d"]) == 0
    assert "all visible tests pass" in capsys.readouterr().out


def test_a_renamed_notebook_of_no_known_assignment_lists_the_names(student):
    path = write(student, nbformat.v4.new_notebook(), "mine.ipynb")
    (student / "release" / "pooling").mkdir()
    shutil.copy(POOLING, student / "release" / "pooling")
    with pytest.raises(UserError, match=r"Known: conv2d, pooling; if it is your copy of one of them, name the "
                                        r"assignment: grader validate mine.ipynb --assignment NAME"):
        find_release(None, path)


def test_release_option_names_the_released_folder(tmp_path, monkeypatch, capsys):
    given = tmp_path / "downloads" / "conv2d-folder"
    shutil.copytree(ASSIGNMENT.release_path().parent, given)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("GRADER_HOME", str(tmp_path / "nowhere"))
    write(work, submission(ASSIGNMENT, None))
    assert main(["validate", "conv2d.ipynb", "--release", str(given)]) == 0
    assert main(["validate", "conv2d.ipynb", "--release", str(tmp_path / "downloads")]) == 2
    assert "no conv2d.ipynb in it" in capsys.readouterr().err


def test_a_notebook_edited_in_place_is_checked_against_its_checksums(tmp_path, monkeypatch, capsys):
    """nbgrader fetch gives conv2d/conv2d.ipynb and no other copy: its released cells are recovered from it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRADER_HOME", str(tmp_path / "nowhere"))
    notebook = submission(ASSIGNMENT, None)
    notebook.cells.insert(2, new_code_cell("correlate2d = conv2d = None  # an added cell: the grader drops it"))
    tests = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "conv2d_tests")
    tests.source = "assert True  # tests removed"
    (tmp_path / "conv2d").mkdir()
    path = write(tmp_path / "conv2d", notebook)
    assert find_release(None, path).in_place
    assert main(["validate", "conv2d/conv2d.ipynb"]) == 0
    out = capsys.readouterr().out
    assert "note: no untouched copy of conv2d.ipynb was found" in out
    assert "warning: the test cell conv2d_tests was edited: the grader runs the released version" in out
    assert "warning: code cell 3 is not a solution cell: the grader ignores it" in out


def test_the_checksum_is_nbgraders():
    from nbgrader.utils import compute_checksum

    from grader.validate import nbgrader_checksum

    for name in ("conv2d", "lenet", "transfer"):
        for cell in release_notebook(Assignment.find(name)).cells:
            if "nbgrader" in cell.metadata:
                assert nbgrader_checksum(cell) == compute_checksum(cell) == cell.metadata.nbgrader.checksum


def test_forbidden_modules_come_from_the_release():
    conv2d = find_release("conv2d", ASSIGNMENT.release_path())
    assert {"keras", "tensorflow", "scipy", "torch"} <= set(conv2d.forbidden_modules)
    lenet = Release("lenet", Assignment.find("lenet").release_path())
    fcn = Release("fcn", Assignment.find("fcn").release_path())   # imports keras only; Keras needs TensorFlow
    for keras in (lenet, fcn):
        assert keras.uses_keras and {"keras", "tensorflow"}.isdisjoint(keras.forbidden_modules)
        assert {"torch", "jax", "sklearn"} <= set(keras.forbidden_modules)
        assert [p.name for p in keras.files()] == ["digits.npz"]


@pytest.mark.parametrize("mode", ["unconfined", "portable"])
def test_forbidden_modules_are_refused_without_the_sandbox(student, mode):
    code = "import scipy.signal\n\ndef correlate2d(x, w):\n    return scipy.signal.correlate2d(x, w, 'valid')\n"
    path = write(student, with_code(correlate2d_impl=code))
    report = validate(path, find_release(None, path), mode=mode)
    cell = next(c for c in report.cells if c["id"] == "correlate2d_impl")
    assert cell["error"] == "ImportError" and cell["message"].startswith(
        "scipy is not available in this assignment"), cell


def test_without_bubblewrap_it_says_so(monkeypatch, tmp_path):
    from grader.commands.validate import choose_mode

    monkeypatch.setenv("PATH", str(tmp_path))   # no bwrap on it
    mode, note = choose_mode()
    assert mode == "unconfined"
    assert str(note).startswith("note: bubblewrap is not installed") and "WITHOUT the grader's sandbox" in str(note)


def test_a_data_file_is_in_the_working_directory(tmp_path, monkeypatch):
    """The files released beside the notebook are what the program finds in its working directory."""
    notebook = release_notebook(ASSIGNMENT)
    load = new_code_cell("SCALE = float(np.load('scale.npy'))",
                         metadata={"nbgrader": {"grade": False, "grade_id": "load", "locked": True,
                                                "schema_version": 3, "solution": False}})
    notebook.cells.insert(notebook.cells.index(_test_cell(notebook, "imports")) + 1, load)
    folder = tmp_path / "release" / "scaled"
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / "scaled.ipynb")
    import numpy as np

    np.save(folder / "scale.npy", np.array(2.0))
    code = "def correlate2d(x, w):\n    assert SCALE == 2.0\n    raise NotImplementedError\n"
    _test_cell(notebook, "correlate2d_impl").source = code
    mine = write(tmp_path, notebook, "scaled.ipynb")
    for mode in MODES:
        report = validate(mine, find_release(None, mine), mode=mode)
        assert next(c for c in report.cells if c["id"] == "correlate2d_tests").get("error") == "NotImplementedError", \
            (mode, report.cells)


# ----------------------------------------------------------------------------- fragile notebooks

def _test_cell(notebook, key):
    from grader.notebook.cells import grade_id

    return next(c for c in notebook.cells if grade_id(c) == key)


def test_changed_grade_id_of_a_test_cell_is_flagged():
    from grader.validate import notebook_warnings

    notebook = submission(ASSIGNMENT, None)
    _test_cell(notebook, "conv2d_tests").metadata["nbgrader"]["grade_id"] = "my_tests"
    warnings = notebook_warnings(release_notebook(ASSIGNMENT), notebook)
    assert len(warnings) == 1 and "conv2d_tests has grade id 'my_tests' now" in str(warnings[0])


def test_deleted_and_edited_test_cells_are_flagged():
    from grader.validate import extra_code_cells, notebook_warnings

    notebook = submission(ASSIGNMENT, None)
    notebook.cells.remove(_test_cell(notebook, "correlate2d_tests"))
    _test_cell(notebook, "conv2d_tests").source = "assert True  # tests removed"
    warnings = notebook_warnings(release_notebook(ASSIGNMENT), notebook)
    assert any("correlate2d_tests was deleted or replaced" in str(w) for w in warnings), warnings
    assert any("conv2d_tests was edited" in str(w) for w in warnings), warnings
    assert extra_code_cells(release_notebook(ASSIGNMENT), notebook) == []   # reported once, not twice


def test_untouched_notebook_has_no_warnings():
    from grader.validate import notebook_warnings

    assert notebook_warnings(release_notebook(ASSIGNMENT), submission(ASSIGNMENT, None)) == []


def test_large_outputs_are_flagged_and_the_run_time_shown(tmp_path, capsys):
    from nbformat.v4 import new_output

    notebook = submission(ASSIGNMENT, None)
    cell = _test_cell(notebook, "conv2d_tests")
    cell.metadata["nbgrader"]["grade_id"] = "renamed_tests"
    cell.outputs = [new_output("display_data", data={"image/png": "A" * (6 << 20)})]   # a 6 MiB plot
    assert main(["validate", str(write(tmp_path, notebook))]) == 0                   # gradable: warnings only
    out = capsys.readouterr().out
    assert "warning: the outputs take 6 MiB (more than 5 MiB)" in out and "clear outputs before submitting" in out
    assert "warning: the test cell conv2d_tests has grade id 'renamed_tests' now" in out
    assert "ran in " in out and "all visible tests pass" in out


def test_warnings_are_shown_for_an_ungradable_notebook_too(tmp_path, capsys):
    notebook = release_notebook(ASSIGNMENT)
    notebook.cells = [c for c in notebook.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") not in ("conv2d_impl", "conv2d_tests")]
    assert main(["validate", str(write(tmp_path, notebook))]) == 1
    out = capsys.readouterr().out
    assert "warning: the test cell conv2d_tests was deleted" in out
    assert "UNGRADABLE: the solution cell 'conv2d_impl' is missing" in out


# ----------------------------------------------------------------------------- editions: a release folder per language

def edition_notebook(notebook, language=None):
    """``notebook`` as an edition in ``language`` says it is (``metadata.grader.language``; None: it says none)."""
    notebook.metadata.pop("grader", None)
    if language:
        notebook.metadata["grader"] = {"language": language}
    return notebook


@pytest.fixture
def editions(tmp_path, monkeypatch):
    """A student's folder, the current directory: release/en/conv2d/ and release/hu/conv2d/ (each edition's
    released notebook, as its metadata says) and release/conv2d/ (a release made before editions)."""
    for folder, language in (("en", "en"), ("hu", "hu"), ("", None)):
        target = tmp_path / "release" / folder / "conv2d"
        shutil.copytree(ASSIGNMENT.release_path().parent, target)
        nbformat.write(edition_notebook(release_notebook(ASSIGNMENT), language), target / "conv2d.ipynb")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRADER_HOME", str(tmp_path / "nowhere"))
    return tmp_path


def test_the_editions_own_release_folder_comes_first(editions):
    release = editions / "release"
    found = {language: find_release("conv2d", write(editions, edition_notebook(submission(ASSIGNMENT, None),
                                                                                language), f"{language}.ipynb"))
             for language in ("hu", "en", None)}
    assert found["hu"].notebook_path == (release / "hu" / "conv2d" / "conv2d.ipynb").resolve()
    assert found["en"].notebook_path == (release / "en" / "conv2d" / "conv2d.ipynb").resolve()
    assert found[None].notebook_path == found["en"].notebook_path          # no edition: English
    # --release: a release folder, an edition's folder, or the assignment's folder itself
    hu = editions / "hu.ipynb"
    edition = release / "hu" / "conv2d"
    for given, expected in ((release, edition), (release / "hu", edition), (edition, edition),
                            (release / "conv2d", release / "conv2d")):
        assert find_release("conv2d", hu, release=given).notebook_path == expected / "conv2d.ipynb", given
    with pytest.raises(UserError, match=r"no conv2d.ipynb in it, in .*hu/conv2d or in .*/conv2d"):
        find_release("conv2d", hu, release=editions)


def test_a_release_made_before_editions_is_found_too(editions, capsys):
    shutil.rmtree(editions / "release" / "hu")
    path = write(editions, edition_notebook(submission(ASSIGNMENT, None), "hu"))
    assert find_release(None, path).notebook_path == (editions / "release" / "conv2d" / "conv2d.ipynb").resolve()
    assert find_release(None, path, release=editions / "release").notebook_path == (
        editions / "release" / "conv2d" / "conv2d.ipynb")
    assert main(["validate", "conv2d.ipynb"]) == 0
    assert "minden látható teszt sikeres" in capsys.readouterr().out


def test_a_renamed_notebook_finds_the_names_in_the_editions_folders(editions, capsys):
    shutil.rmtree(editions / "release" / "conv2d")
    write(editions, edition_notebook(submission(ASSIGNMENT, None), "hu"), "HW1_Toth_Daniel.ipynb")
    assert main(["validate", "HW1_Toth_Daniel.ipynb"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("grader validate: HW1_Toth_Daniel.ipynb: nincs „HW1_Toth_Daniel” nevű kiadott feladat "
                          "(sem release/hu/HW1_Toth_Daniel/HW1_Toth_Daniel.ipynb, sem "), err
    assert ("Ismert feladatok: conv2d; úgy tűnik, ez a feladat: conv2d: grader validate HW1_Toth_Daniel.ipynb "
            "--assignment conv2d (vagy --release FOLDER)") in err, err
    assert main(["validate", "HW1_Toth_Daniel.ipynb", "--language", "en"]) == 2
    assert "it looks like conv2d: grader validate HW1_Toth_Daniel.ipynb --assignment conv2d" in capsys.readouterr().err


#: What validate itself says in English, whatever the notebook: none of it may be left in a Hungarian report.
ENGLISH = ("visible test", "solution ", "not implemented yet", " ok\n", "warning:", "note:", "UNGRADABLE",
           "FAILED", "ran in", "fix the lines above", "all visible tests pass", "cell correlate2d_tests, line",
           "is not a solution cell", "the grader")


def test_a_hungarian_edition_is_answered_in_hungarian(editions, capsys):
    """The stub of the Hungarian edition, correlate2d wrong in shape, a helper cell: every line in Hungarian."""
    notebook = edition_notebook(release_notebook(ASSIGNMENT), "hu")
    _test_cell(notebook, "correlate2d_impl").source = "def correlate2d(x, w):\n    return np.zeros((3, 3))\n"
    notebook.cells.insert(notebook.cells.index(_test_cell(notebook, "imports")) + 1,
                          new_code_cell("def helper():\n    return 1"))
    write(editions, notebook)
    assert main(["validate", "conv2d.ipynb"]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert re.fullmatch(r"megoldás\s+correlate2d_impl\s+rendben", lines[0]), out
    # the visible test's own message is the edition's (as released); where it failed is said in Hungarian
    assert re.search(r"^látható teszt  correlate2d_tests\s+AssertionError: .+ \(correlate2d_tests cella, 5\. sor\)$",
                     out, re.M), out
    assert re.search(r"^látható teszt  conv2d_tests\s+még nincs megírva$", out, re.M), out
    assert re.search(r"^figyelmeztetés: a notebook \d+\. kódcellája nem megoldáscella: a javító figyelmen kívül "
                     r"hagyja \(a segédfüggvényeket tegyétek egy megoldáscellába\)$", out, re.M), out
    assert re.fullmatch(r"futásidő: \d+(,\d)? s; javítsátok a fenti sorokban jelzett hibákat", lines[-1]), out
    assert not [english for english in ENGLISH if english in out], out
    # --language en: the same report in English
    assert main(["validate", "conv2d.ipynb", "--language", "en"]) == 1
    out = capsys.readouterr().out
    assert "visible test  correlate2d_tests         AssertionError: expected shape (2, 2), got (3, 3) " \
           "(cell correlate2d_tests, line 5)" in out, out
    assert re.search(r"^visible test  conv2d_tests\s+not implemented yet$", out, re.M) and "fix the lines above" in out


def test_an_ungradable_hungarian_notebook_says_why_in_hungarian(editions, capsys):
    notebook = edition_notebook(release_notebook(ASSIGNMENT), "hu")
    notebook.cells.remove(_test_cell(notebook, "conv2d_impl"))
    notebook.cells.remove(_test_cell(notebook, "conv2d_tests"))
    write(editions, notebook)
    assert main(["validate", "conv2d.ipynb"]) == 1
    out = capsys.readouterr().out
    assert "figyelmeztetés: a tesztcellát (conv2d_tests) töröltétek vagy lecseréltétek" in out, out
    assert out.splitlines()[-1].startswith("NEM ÉRTÉKELHETŐ: "), out
    assert "UNGRADABLE" not in out and "warning:" not in out, out


def test_where_it_failed_and_a_hidden_module_are_said_in_the_editions_language():
    from grader.commands.validate import describe

    refused = ("scipy is not available in this assignment: implement it with numpy "
               "(the grader hides this library from submissions)")
    cell = {"ok": False, "error": "ImportError", "message": refused, "where": "cell correlate2d_impl, line 1"}
    assert describe(cell) == [f"ImportError: {refused} (cell correlate2d_impl, line 1)"]
    assert describe(cell, "hu") == ["ImportError: scipy nem használható ebben a feladatban: numpy-jal írjátok meg "
                                    "(a javító elrejti ezt a könyvtárat a beadott megoldások elől) "
                                    "(correlate2d_impl cella, 1. sor)"]
    student_says = {"ok": False, "error": "ValueError", "message": "bad shape", "where": "somewhere else"}
    assert describe(student_says, "hu") == ["ValueError: bad shape (somewhere else)"]   # not ours: as it is
