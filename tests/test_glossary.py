"""The lecture's terms: both editions' prose follows assignments/glossary.toml, and shows its table."""

import re

import nbformat
import pytest

from grader import glossary
from grader.assignment import Assignment
from grader.paths import assignments_root
from grader.release import assignment_names

TERMS = glossary.load(assignments_root() / glossary.GLOSSARY_FILE)
NAMES = assignment_names()
# Code, formulas and links say what the code says, in both editions: only prose is held to the glossary.
_NOT_PROSE = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)", re.S)


def prose(name: str, language: str) -> str:
    cells = Assignment.find(name).source.cells
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown" and c.metadata.get("lang") == language)
    return _NOT_PROSE.sub(" ", text).lower()


def test_the_glossary_has_the_issues_terms_with_keras_names():
    by_hu = {t.hu_stem: t for t in TERMS}
    for stem, en in [("konvolúci", "convolution"), ("filter", "filter"), ("padding", "padding"),
                     ("lépésköz", "stride"), ("pooling", "pooling layer"), ("hőtérkép", "heatmap (feature map)"),
                     ("előtanított", "pretrained network"), ("finomhangol", "fine-tuning"),
                     ("befagyaszt", "freezing weights"), ("szegmentál", "image segmentation")]:
        assert by_hu[stem].en == en
    assert {t.keras for t in TERMS} >= {"`Conv2D`", "`strides=`", "`padding=`", "`MaxPooling2D`, `AveragePooling2D`"}
    assert all(set(t.used_in) <= set(NAMES) for t in TERMS)


@pytest.mark.parametrize("name", NAMES)
def test_the_hungarian_edition_uses_the_lectures_words(name):
    text = prose(name, "hu")
    missing = [t.hu_stem for t in TERMS if name in t.used_in and t.hu_stem.lower() not in text]
    assert not missing, f"{name}'s Hungarian prose never says {missing}"
    avoided = [word for t in TERMS for word in t.avoid if word.lower() in text]
    assert not avoided, f"{name}'s Hungarian prose says {avoided}, which the lecture does not"


@pytest.mark.parametrize("name", NAMES)
def test_the_english_edition_uses_the_english_terms_without_hungarian_glosses(name):
    text = prose(name, "en")
    missing = [t.en for t in TERMS if name in t.used_in and t.en.lower() not in text]
    assert not missing, f"{name}'s English prose never says {missing}"
    assert not re.search(r"[őű]", text), f"{name}'s English prose still has Hungarian glosses"


@pytest.mark.parametrize("language", ["en", "hu"])
@pytest.mark.parametrize("name", NAMES)
def test_each_released_edition_shows_its_terms_under_the_title(name, language):
    notebook = nbformat.read(Assignment.find(name).release_path(language=language), as_version=4)
    table = next(c.source for c in notebook.cells if c.get("id") == "glossary")
    assert table == glossary.markdown(TERMS, name, language)
    assert all(t.hu in table and t.en in table for t in TERMS if name in t.used_in)
    assert notebook.cells[1].get("id") == "glossary"
