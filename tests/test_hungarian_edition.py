"""The Hungarian edition end to end, on real notebooks of the numpy assignments.

Hostile notebooks grade the same in both editions (the solutions and variants are compared by the
gate test, tests/test_gate.py), and what a Hungarian student reads, the feedback page and
``grader validate``, holds no English message of ours: every catalog entry's English is looked for.
"""

from __future__ import annotations

import concurrent.futures
import html
import os
import re
import shutil
import string

import nbformat
import pytest
from babel.messages.pofile import read_po

from grader import catalogs, feedback
from grader.assignment import Assignment
from grader.cli import main
from grader.grade import GradingJob, grade
from grader.sampleclass import HOSTILE, hostile, release_notebook, sample_notebooks, submission, write_submission

NUMPY = ["conv2d", "padding_stride", "pooling"]
# A fragment of an English message is looked for when it is at least this many words: shorter ones
# ("of", "x and w") also occur in code, names and numpy's own output.
MIN_WORDS = 3


def english_fragments() -> set[str]:
    """Every translated catalog entry's English text, split at its placeholders: what must not be left."""
    fragments = set()
    for _domain, (_sources, locale_dir) in catalogs.domains().items():
        with catalogs.po_path(locale_dir, "hu", _domain).open("rb") as file:
            for entry in read_po(file, locale="hu"):
                ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
                strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
                for msgid in ids:
                    if not msgid or msgid in strings:
                        continue
                    for literal, *_rest in string.Formatter().parse(msgid):
                        literal = " ".join(literal.replace("{{", "{").replace("}}", "}").split())
                        if len(_words(literal)) >= MIN_WORDS:
                            fragments.add(literal)
    return fragments


def _words(text: str) -> list[str]:
    """The English words of ``text``: tokens of letters only (code such as pool_size=2 or (2, 3) is not prose)."""
    return [token for token in text.split() if re.fullmatch(r"[A-Za-z]{2,}[,.:;]?", token)]


def untranslated(text: str, fragments: set[str]) -> list[str]:
    """The English fragments found in ``text`` (HTML tags and spacing ignored)."""
    plain = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())
    return sorted(fragment for fragment in fragments if fragment in plain)


def _grade_all(tmp_path, notebooks: dict) -> dict:
    jobs = {}
    for (name, language, student), notebook in notebooks.items():
        path = write_submission(tmp_path / language, student, name, notebook)
        jobs[name, language, student] = GradingJob(student, name, str(path), str(Assignment.find(name).root.parent),
                                                   language=language)  # a course taught in that language
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
        return dict(zip(jobs, pool.map(grade, jobs.values())))


@pytest.fixture(scope="module")
def hungarian_results(tmp_path_factory) -> dict:
    """(name, language, student) -> result: every sample notebook in Hungarian, the hostile ones in English too."""
    notebooks = {}
    for name in NUMPY:
        assignment = Assignment.find(name)
        for student, notebook in sample_notebooks(assignment, "hu").items():
            notebooks[name, "hu", student] = notebook
        for student, code in HOSTILE.items():
            notebooks[name, "en", student] = hostile(assignment, code, "en")
    notebooks["conv2d", "hu", "broken"] = b'{"cells": [], "nbformat": 4'
    return _grade_all(tmp_path_factory.mktemp("editions"), notebooks)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", NUMPY)
def test_hostile_notebooks_grade_the_same_in_both_editions(hungarian_results, name):
    for student in HOSTILE:
        english, hungarian = hungarian_results[name, "en", student], hungarian_results[name, "hu", student]
        assert (english["status"], english["score"]) == (hungarian["status"], hungarian["score"])
        assert english["score"] == 0
        assert [(c["name"], c["outcome"]) for c in english["checks"]] == \
            [(c["name"], c["outcome"]) for c in hungarian["checks"]]
        assert english["language"] == "en" and hungarian["language"] == "hu"
        assert [c["message"] for c in english["checks"]] == [c["message"] for c in hungarian["checks"]]


@pytest.mark.timeout(900)
def test_hungarian_feedback_pages_hold_no_english_message(hungarian_results):
    fragments = english_fragments()
    assert len(fragments) > 200
    pages = {key: feedback.render(result, tuple(Assignment.find(key[0]).grade_cells))
             for key, result in hungarian_results.items() if key[1] == "hu"}
    assert {r["status"] for key, r in hungarian_results.items() if key[1] == "hu"} == {"graded", "ungradable"}
    for key, page in pages.items():
        assert '<html lang="hu">' in page, key
        assert not untranslated(page, fragments), (key, untranslated(page, fragments))
    solution = pages["conv2d", "hu", "solution"]
    assert "10 / 10" in solution and "Rejtett" in solution
    wrong = [page for key, page in pages.items() if key[2].startswith("variant-")]
    assert wrong and all("pozíció" in page or "alak" in page or "tengely" in page for page in wrong[:1])


@pytest.mark.parametrize("name", NUMPY)
def test_grader_validate_speaks_hungarian_on_a_hungarian_notebook(name, tmp_path, monkeypatch, capsys):
    assignment = Assignment.find(name)
    shutil.copytree(assignment.release_path(language="hu").parent, tmp_path / "release" / "hu" / name)
    fragments = english_fragments()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRADER_HOME", str(tmp_path / "nowhere"))  # what a student has: no assignments/
    variant = assignment.variants()[0]
    for label, notebook in [("stub", release_notebook(assignment, "hu")),
                            ("wrong", submission(assignment, variant, "hu")),
                            ("solution", submission(assignment, None, "hu"))]:
        path = tmp_path / f"{label}.ipynb"
        nbformat.write(notebook, path)
        status = main(["validate", str(path), "--assignment", name])
        out = capsys.readouterr()
        printed = out.out + out.err
        assert status == (0 if label == "solution" else 1), printed
        assert not untranslated(printed, fragments), (label, untranslated(printed, fragments))
        assert "visible tests passed" not in printed


def test_grader_autograde_and_feedback_write_each_students_page_in_their_editions_language(tmp_path):
    """A course taught in Hungarian: each page follows its notebook's edition; the report follows the course."""
    conv2d = Assignment.find("conv2d")
    (tmp_path / "grader.toml").write_text('language = "hu"\n')
    write_submission(tmp_path, "hu_student", "conv2d", submission(conv2d, conv2d.variants()[0], "hu"))
    write_submission(tmp_path, "en_student", "conv2d", submission(conv2d, conv2d.variants()[0], "en"))
    write_submission(tmp_path, "broken", "conv2d", b"not a notebook")
    course = ["--course", str(tmp_path)]
    assert main(["autograde", "conv2d", *course, "--workers", "1", "--quiet"]) == 0
    assert main(["feedback", "conv2d", *course]) == 0
    page = {student: (tmp_path / "feedback" / student / "conv2d" / "conv2d.html").read_text()
            for student in ("hu_student", "en_student", "broken")}
    assert '<html lang="hu">' in page["hu_student"] and '<html lang="hu">' in page["broken"]
    assert '<html lang="en">' in page["en_student"] and "Hidden checks" in page["en_student"]
    scores = [re.search(r'class="score">([^<]*)<', page[s]).group(1) for s in ("hu_student", "en_student")]
    assert scores[0] == scores[1] and scores[0] != "10 / 10"
    fragments = english_fragments()
    assert not untranslated(page["hu_student"], fragments) and not untranslated(page["broken"], fragments)
    assert main(["report", "conv2d", *course, "--html", str(tmp_path / "report.html")]) == 0
    assert '<html lang="hu">' in (tmp_path / "report.html").read_text()
