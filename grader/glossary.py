"""The course's terms, as the lecture says them, in English and in Keras: ``assignments/glossary.toml``.

Each edition of a notebook shows the terms its assignment uses as a table under its title, and the
tests hold both editions' prose to the file (``tests/test_glossary.py``): the Hungarian uses the
lecture's word and none of the words it avoids, the English uses the English term.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

from grader.i18n import _

GLOSSARY_FILE = "glossary.toml"


@dataclasses.dataclass(frozen=True)
class Term:
    """One entry of the glossary (see the comments at the top of glossary.toml)."""

    hu: str
    hu_stem: str
    en: str
    keras: str = ""
    avoid: tuple[str, ...] = ()
    used_in: tuple[str, ...] = ()


def load(path: Path) -> list[Term]:
    """The terms of the glossary at ``path``; none when there is no such file."""
    if not path.is_file():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Term(hu=t["hu"], hu_stem=t.get("hu_stem", t["hu"]), en=t["en"], keras=t.get("keras", ""),
                 avoid=tuple(t.get("avoid", ())), used_in=tuple(t.get("used_in", ()))) for t in data.get("term", [])]


def find(assignments: Path, fallback: Path) -> list[Term]:
    """The glossary of the assignments folder ``assignments``, else the one of ``fallback`` (the package's)."""
    own = assignments / GLOSSARY_FILE
    return load(own if own.is_file() else fallback / GLOSSARY_FILE)


def markdown(terms: list[Term], assignment: str, language: str) -> str:
    """The terms cell of ``assignment``'s ``language`` edition: a markdown table, "" when it uses none."""
    used = [t for t in terms if assignment in t.used_in]
    if not used:
        return ""
    if language == "hu":
        header = [_("in the lecture"), _("in English"), _("in Keras")]
        rows = [(t.hu, t.en, t.keras) for t in used]
    else:
        header = [_("in English"), _("in the lecture (Hungarian)"), _("in Keras")]
        rows = [(t.en, t.hu, t.keras) for t in used]
    title = _("Terms").render(language)
    lines = [f"**{title}**", "",
             "| " + " | ".join(h.render(language) for h in header) + " |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)
