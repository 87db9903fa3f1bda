"""One source notebook, one edition per language: the prose in that language, the same cells otherwise.

A source notebook gives its prose twice: each markdown cell tagged ``metadata.lang = "en"`` is followed
by its ``"hu"`` twin (an untagged markdown cell belongs to every edition). An edition keeps the cells
of its language, and in the cells students do not write (test cells, locked cells) it translates only
the messages those cells show: the message of an ``assert``, numpy's ``err_msg=`` and what ``print``
prints. Code, grade ids, points, docstrings and test logic stay byte for byte the same, and
:func:`translate_messages` proves it for every cell it changes: the translated cell must parse to the
same program with only those strings changed. Submissions are matched to the source by grade id, so a
notebook of either edition is rebuilt and graded the same way; its edition (``metadata.grader.language``)
only chooses the language of its messages and feedback.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
from typing import Callable, Iterator

from nbformat import NotebookNode, from_dict

from grader.i18n import SOURCE_LANGUAGE, choose_language, translations
from grader.notebook.cells import is_solution

LANG_KEY = "lang"
# Where an edition records its language in the notebook's metadata (read back by edition_of()).
METADATA_KEY = "grader"


class EditionError(ValueError):
    """A translated cell would not be the same program (a catalog entry that changes code)."""


@dataclasses.dataclass(frozen=True)
class VisibleMessage:
    """A message a test or locked cell shows: its msgid and where its string literal is."""

    msgid: str
    node: ast.expr
    formatted: bool  # an f-string: the msgid keeps its {expressions}


def languages_of(notebook: NotebookNode) -> tuple[str, ...]:
    """The languages a source notebook has prose in, the source language first; untagged: the source's only."""
    tagged = {cell.get("metadata", {}).get(LANG_KEY) for cell in notebook.cells if cell.get("cell_type") == "markdown"}
    tagged.discard(None)
    return tuple(sorted(tagged, key=lambda lang: (lang != SOURCE_LANGUAGE, lang))) or (SOURCE_LANGUAGE,)


def edition_of(notebook: NotebookNode, default: str = SOURCE_LANGUAGE) -> str:
    """The language of a submitted notebook's edition (``default`` when it has none we know)."""
    meta = notebook.get("metadata", {}).get(METADATA_KEY, {})
    return choose_language(meta.get("language") if isinstance(meta, dict) else None, default)


def edition(source: NotebookNode, language: str, glossary: Callable[[str], str] | None = None) -> NotebookNode:
    """The ``language`` edition of ``source`` (a new notebook; ``source`` is left as it is).

    ``glossary(language)``, when given, is the markdown of a terms cell put right after the title cell.
    """
    notebook = copy.deepcopy(source)
    cells = []
    for cell in notebook.cells:
        lang = cell.get("metadata", {}).pop(LANG_KEY, None)
        if lang not in (None, language):
            continue
        if cell.get("cell_type") == "code" and not is_solution(cell):
            cell.source = translate_messages(cell.source, language)
        cells.append(cell)
    if glossary is not None and cells:
        terms = glossary(language)
        if terms:
            cells.insert(1, from_dict({"cell_type": "markdown", "id": "glossary", "metadata": {}, "source": terms}))
    notebook.cells = cells
    notebook.metadata[METADATA_KEY] = {"language": language}
    return notebook


def visible_messages(source: str) -> Iterator[VisibleMessage]:
    """The messages of one cell's code that an edition translates, in source order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    found = []
    for node in ast.walk(tree):
        for literal in _message_literals(node):
            msgid = _msgid(literal)
            if msgid is not None:
                found.append(VisibleMessage(msgid, literal, isinstance(literal, ast.JoinedStr)))
    yield from sorted(found, key=lambda m: (m.node.lineno, m.node.col_offset))


def translate_messages(source: str, language: str) -> str:
    """``source`` with every visible message in ``language``; raises :class:`EditionError` if code would change."""
    if language == SOURCE_LANGUAGE:
        return source
    catalog = translations(language)
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    data = source.encode("utf-8")
    for message in reversed(list(visible_messages(source))):
        translated = catalog.gettext(message.msgid)
        if translated == message.msgid:
            continue
        node = message.node
        start = offsets[node.lineno - 1] + node.col_offset
        end = offsets[node.end_lineno - 1] + node.end_col_offset
        literal = _literal(translated, message.formatted)
        if _fields(ast.parse(literal, mode="eval").body) != _fields(node):
            raise EditionError(f"the {language} message {translated!r} does not keep the fields of {message.msgid!r}")
        data = data[:start] + literal.encode("utf-8") + data[end:]
    translated_source = data.decode("utf-8")
    if translated_source != source and _skeleton(translated_source) != _skeleton(source):
        raise EditionError(f"a {language} message changes the code of the cell:\n{translated_source}")
    return translated_source


def same_program(program: list[dict], other: list[dict]) -> bool:
    """True when two rebuilt programs (:func:`grader.notebook.rebuild.rebuild`) differ at most in visible messages.

    Two editions of one submission are such programs: graded, they give the same result.
    """
    if [(c["id"], c["kind"]) for c in program] != [(c["id"], c["kind"]) for c in other]:
        return False
    for cell, twin in zip(program, other):
        if cell["source"] == twin["source"]:
            continue
        try:
            if cell["kind"] == "solution" or _skeleton(cell["source"]) != _skeleton(twin["source"]):
                return False
        except SyntaxError:
            return False
    return True


def _message_literals(node: ast.AST) -> list[ast.expr]:
    """The string literals ``node`` shows as a message: an assert's message, err_msg=, print's first argument."""
    if isinstance(node, ast.Assert) and node.msg is not None:
        return [node.msg]
    if isinstance(node, ast.Call):
        found = [kw.value for kw in node.keywords if kw.arg == "err_msg"]
        if isinstance(node.func, ast.Name) and node.func.id == "print" and node.args:
            found.append(node.args[0])
        return found
    return []


def _msgid(literal: ast.expr) -> str | None:
    """The msgid of a message literal: its text, with an f-string's fields as ``{expression}``; None if none."""
    if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
        return literal.value if any(ch.isalpha() for ch in literal.value) else None
    if not isinstance(literal, ast.JoinedStr):
        return None
    parts, has_text = [], False
    for value in literal.values:
        if isinstance(value, ast.Constant):
            has_text = has_text or any(ch.isalpha() for ch in value.value)
            parts.append(value.value.replace("{", "{{").replace("}", "}}"))
        else:
            parts.append(_field(value))
    return "".join(parts) if has_text else None


def _field(value: ast.FormattedValue) -> str:
    conversion = "" if value.conversion == -1 else f"!{chr(value.conversion)}"
    spec = ""
    if value.format_spec is not None:
        spec = ":" + "".join(p.value if isinstance(p, ast.Constant) else _field(p) for p in value.format_spec.values)
    return "{" + ast.unparse(value.value) + conversion + spec + "}"


def _fields(literal: ast.expr) -> list[str]:
    """The expressions an f-string fills in, as ASTs, sorted (none for a plain string)."""
    values = literal.values if isinstance(literal, ast.JoinedStr) else []
    return sorted(ast.dump(v) for v in values if isinstance(v, ast.FormattedValue))


def _literal(text: str, formatted: bool) -> str:
    """Python source of a string literal holding ``text`` (an f-string's body when ``formatted``)."""
    if not formatted:
        return repr(text)
    quote = '"' if '"' not in text else "'"
    if quote in text:
        raise EditionError(f"an f-string message may not hold both kinds of quotes: {text!r}")
    # Python 3.11 allows no backslash inside an f-string's {fields}: escapes can only be in its text
    body = text.replace("\\", "\\\\").replace("\n", "\\n")
    return f"f{quote}{body}{quote}"


def _skeleton(source: str) -> str:
    """The program of ``source`` with every visible message blanked: what a translation may not change."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        for literal in _message_literals(node):
            if isinstance(literal, (ast.Constant, ast.JoinedStr)) and _msgid(literal) is not None:
                _blank(node, literal)
    return ast.dump(tree)


def _blank(parent: ast.AST, literal: ast.expr) -> None:
    blank = ast.Constant(value="")
    if isinstance(parent, ast.Assert):
        parent.msg = blank
        return
    for keyword in parent.keywords:
        if keyword.value is literal:
            keyword.value = blank
    if parent.args and parent.args[0] is literal:
        parent.args[0] = blank
