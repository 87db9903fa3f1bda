"""One source notebook, two editions: the same program, the prose and visible messages in one language."""

import nbformat
import pytest

from grader.assignment import Assignment
from grader.notebook import editions
from grader.notebook.cells import grade_id, is_solution, points
from grader.notebook.editions import EditionError, edition, edition_of, languages_of, same_program
from grader.notebook.rebuild import rebuild
from grader.release import assignment_names
from grader.sampleclass import submission

NAMES = assignment_names()


@pytest.mark.parametrize("name", NAMES)
def test_every_assignment_has_an_english_and_a_hungarian_edition(name):
    assert languages_of(Assignment.find(name).source) == ("en", "hu")


@pytest.mark.parametrize("name", NAMES)
def test_editions_keep_every_code_cell_grade_id_and_point(name):
    source = Assignment.find(name).source
    english, hungarian = edition(source, "en"), edition(source, "hu")
    code = [c for c in source.cells if c.cell_type == "code"]
    for notebook in (english, hungarian):
        twins = [c for c in notebook.cells if c.cell_type == "code"]
        assert [(grade_id(c), points(c), c.metadata.get("nbgrader")) for c in twins] == \
            [(grade_id(c), points(c), c.metadata.get("nbgrader")) for c in code]
        assert [c.source for c in twins if is_solution(c)] == [c.source for c in code if is_solution(c)]
        assert all("lang" not in c.metadata for c in notebook.cells)
    assert english.metadata["grader"] == {"language": "en"} and hungarian.metadata["grader"] == {"language": "hu"}


@pytest.mark.parametrize("name", NAMES)
def test_the_hungarian_edition_translates_the_visible_messages_and_nothing_else(name):
    assignment = Assignment.find(name)
    english = rebuild(assignment.edition("en"), submission(assignment, None, "en"))
    hungarian = rebuild(assignment.edition("hu"), submission(assignment, None, "hu"))
    assert same_program(english, hungarian)
    changed = [a for a, b in zip(english, hungarian) if a["source"] != b["source"]]
    assert changed and all(cell["kind"] in ("test", "locked") for cell in changed)
    assert "visible tests passed" not in "".join(c["source"] for c in hungarian if c["kind"] == "test")


def test_programs_that_differ_in_code_are_not_the_same():
    program = [{"id": "t", "kind": "test", "source": "assert f(1) == 2, 'expected 2'\n"}]
    assert same_program(program, [{**program[0], "source": "assert f(1) == 2, 'várt: 2'\n"}])
    assert not same_program(program, [{**program[0], "source": "assert f(1) == 3, 'expected 2'\n"}])
    assert not same_program(program, [{**program[0], "source": "assert True, 'expected 2'\n"}])
    solution = [{"id": "s", "kind": "solution", "source": "print('a')\n"}]
    assert not same_program(solution, [{**solution[0], "source": "print('b')\n"}])


class _Catalog:
    def __init__(self, table):
        self.table = table

    def gettext(self, msgid):
        return self.table.get(msgid, msgid)


def test_a_translation_that_changes_an_f_string_field_is_refused(monkeypatch):
    cell = 'y = 1\nassert y == 1, f"expected 1, got {y}"\nprint("all visible tests passed")\n'
    monkeypatch.setattr(editions, "translations", lambda language: _Catalog({
        "expected 1, got {y}": "várt: 1, kapott: {y}", "all visible tests passed": "minden teszt lefutott"}))
    assert editions.translate_messages(cell, "hu") == \
        'y = 1\nassert y == 1, f"várt: 1, kapott: {y}"\nprint(\'minden teszt lefutott\')\n'
    for evil in ("várt: {__import__('os').system('id')}", "{y} {y}", 'kapott "{y}" \'x\''):
        monkeypatch.setattr(editions, "translations", lambda language, evil=evil: _Catalog(
            {"expected 1, got {y}": evil}))
        with pytest.raises(EditionError):
            editions.translate_messages(cell, "hu")


def test_a_notebook_names_its_edition_and_anything_else_means_the_default():
    notebook = nbformat.v4.new_notebook()
    assert edition_of(notebook) == "en" and edition_of(notebook, "hu") == "hu"
    for value in ({"language": "hu"}, {"language": "xx"}, "hu", {"language": ["hu"]}):
        notebook.metadata["grader"] = value
        assert edition_of(notebook, "en") == ("hu" if value == {"language": "hu"} else "en")


def test_a_source_without_tagged_prose_has_one_edition():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title")])
    assert languages_of(notebook) == ("en",)
    assert [c.source for c in edition(notebook, "hu").cells] == ["# Title"]
