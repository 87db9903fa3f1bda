"""Messages in the reader's language: gettext catalogs (made with Babel), looked up when a message is read.

A message is made where it is decided, as its English text with named placeholders and the values
that fill them::

    raise CheckFailed(_("{what} contains NaN or infinite values", what=what))

That is a :class:`Message`, not a string: results keep it as JSON (:meth:`Message.to_json`), and it
becomes text only where someone reads it, in that reader's language (:meth:`Message.render`): a
student's feedback in the edition of their notebook, a report in the course's language. So grading
is the same in every language, and one result can be shown in any of them.

- The English text is the msgid; the catalogs hold the other languages, one ``.po`` per language
  and domain, compiled to ``.mo`` by ``make messages``: ``grader`` (``grader/locale/``, shipped
  with the package and the students' self-check) and ``checks`` (``assignments/locale/``: the hidden
  checks' titles and messages and the visible tests' messages, never released).
- A placeholder's value is a string or a tuple (a shape: used as Python writes it), a number (written
  the language's way: 61 706, 0,903), a list ("x és w") or another :class:`Message` (rendered in the
  same language).
- Plural forms come from the catalog's own rule: :func:`_n`.
"""

from __future__ import annotations

import dataclasses
import functools
import gettext
import numbers
import string
from pathlib import Path
from typing import Any

from babel.lists import format_list
from babel.numbers import format_decimal, format_scientific

SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "hu")
GRADER_DOMAIN = "grader"
CHECKS_DOMAIN = "checks"
GRADER_LOCALE = Path(__file__).resolve().parent / "locale"

# A stored message is untrusted bytes once it has been through a file: its size is bounded, and so is
# every rendered message, whatever its values hold.
MAX_TEXT = 2000
MAX_ARGS = 16
MAX_DEPTH = 4
MAX_PARTS = 128  # messages, values and list items in one stored message, nested ones included


class MessageError(ValueError):
    """A stored message is not one this module writes."""


@dataclasses.dataclass(frozen=True)
class Message:
    """An English message with named placeholders, the values that fill them, and its plural, if any."""

    msgid: str
    args: tuple[tuple[str, Any], ...] = ()
    plural: str = ""
    count: int = 0

    def render(self, language: str = SOURCE_LANGUAGE) -> str:
        """The message in ``language`` (English when the catalogs have no translation of it)."""
        if not self.msgid:  # gettext's "" is the catalog's header, never a message
            return ""
        return self._render(language)[:MAX_TEXT]

    def _render(self, language: str) -> str:
        catalog = translations(language)
        template = catalog.ngettext(self.msgid, self.plural, self.count) if self.plural else catalog.gettext(self.msgid)
        if not self.args:  # a plain text, braces and all
            return template
        values = {name: _render_value(value, language) for name, value in self.args}
        english = self.msgid if not self.plural or self.count == 1 else self.plural
        for candidate in (template, english):  # a catalog entry that does not fit falls back to the English
            try:
                return candidate.format(**values)
            except (KeyError, IndexError, ValueError, AttributeError):
                continue
        return english

    def __str__(self) -> str:
        return self.render(SOURCE_LANGUAGE)

    def to_json(self) -> dict:
        """The message as plain JSON (nested messages included), for a result document."""
        data: dict = {"id": self.msgid, "args": {name: _value_to_json(value) for name, value in self.args}}
        if self.plural:
            data.update(plural=self.plural, count=self.count)
        return data

    @classmethod
    def from_json(cls, data: Any, depth: int = 0, budget: list[int] | None = None) -> Message:
        """The message :meth:`to_json` wrote; :class:`MessageError` for anything else (bounded in size)."""
        budget = [MAX_PARTS] if budget is None else budget
        args = data.get("args", {}) if isinstance(data, dict) else {}
        budget[0] -= 1 + (len(args) if isinstance(args, dict) else 0)
        if budget[0] < 0:
            raise MessageError("a message has too many parts")
        if not isinstance(data, dict) or depth > MAX_DEPTH:
            raise MessageError("a message is an object with an id and its arguments")
        msgid, args = data.get("id"), data.get("args", {})
        plural, count = data.get("plural", ""), data.get("count", 0)
        if not (isinstance(msgid, str) and isinstance(args, dict) and isinstance(plural, str)
                and isinstance(count, int) and not isinstance(count, bool)):
            raise MessageError("a message's id, plural and count are text, text and an integer")
        if len(msgid) > MAX_TEXT or len(plural) > MAX_TEXT or len(args) > MAX_ARGS:
            raise MessageError("a message is too long")
        if not (_plain_fields(msgid) and _plain_fields(plural)):
            raise MessageError("a message's placeholders are plain {name}s")
        values = tuple((str(name)[:64], _value_from_json(value, depth, budget)) for name, value in args.items())
        return cls(msgid, values, plural, count)


def _(msgid: str, **args: Any) -> Message:
    """The message ``msgid`` (English, with ``{name}`` placeholders) filled with ``args``."""
    return Message(msgid, tuple((name, _plain(value)) for name, value in args.items()))


def _n(singular: str, plural: str, count: int, **args: Any) -> Message:
    """``singular`` or ``plural`` by ``count``, as the reader's language counts; ``{count}`` is ``count``."""
    values = tuple((name, _plain(value)) for name, value in {"count": count, **args}.items())
    return Message(singular, values, plural, int(count))


def _plain(value: Any) -> Any:
    """``value`` as a message keeps it: numpy numbers as Python's, tuples (shapes) as Python writes them."""
    if isinstance(value, (Message, str, bool)) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, tuple):
        return str(tuple(_plain(item) for item in value))
    return str(value)


def as_message(value: Message | str) -> Message:
    """``value`` as a message: a plain string becomes a message with no placeholders (shown as it is)."""
    return value if isinstance(value, Message) else Message(str(value))


class Explained(Exception):
    """An exception whose message is a :class:`Message` (``.message``); ``str()`` gives its English.

    The English is rendered only when asked for: raising one costs no formatting (Babel loads its
    locale data on first use), so a watchdog thread that raises on its way to a kill is not slowed.
    """

    def __init__(self, message: Message | str = ""):
        self.message = as_message(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


def text(message: Message | str, language: str = SOURCE_LANGUAGE) -> str:
    """``message`` rendered in ``language``; a plain string (an old result's message) as it is."""
    return message.render(language) if isinstance(message, Message) else str(message)


def stored_message(document: dict, key: str = "message", language: str = "") -> Message | str:
    """The message stored as ``key + "_i18n"`` in ``document``, else its English text ``key``.

    Results keep both: the English text under ``key`` (for CSVs, TAs and old readers) and the message
    under ``key_i18n``. An old result, an unreadable stored message or an English reader (``language``)
    gets the English text as stored.
    """
    english = document.get(key) if isinstance(document.get(key), str) else ""
    if f"{key}_i18n" not in document or language == SOURCE_LANGUAGE:
        return english
    try:
        return Message.from_json(document[f"{key}_i18n"])
    except MessageError:
        return english


def stored(document: dict, key: str = "message", language: str = SOURCE_LANGUAGE) -> str:
    """The text of ``document[key]`` in ``language`` (see :func:`stored_message`)."""
    return text(stored_message(document, key, language), language)


def choose_language(*candidates: Any) -> str:
    """The first of ``candidates`` that is a language we have, else the source language."""
    for candidate in candidates:
        if isinstance(candidate, str) and candidate in LANGUAGES:
            return candidate
    return SOURCE_LANGUAGE


def placeholders(template: str) -> set[str]:
    """The names of the ``{name}`` placeholders in ``template``."""
    return {field for _text, field, _spec, _conv in string.Formatter().parse(template) if field is not None}


def checks_locale() -> Path:
    """Where the ``checks`` domain's catalogs are: ``assignments/locale`` of this checkout."""
    from grader import paths  # the self-check has no assignments/: only the grader domain is found there

    return paths.assignments_root() / "locale"


@functools.lru_cache(maxsize=None)
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogs of ``language``: the grader's, falling back to the checks' where present."""
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return gettext.NullTranslations()
    catalog = gettext.translation(GRADER_DOMAIN, GRADER_LOCALE, languages=[language], fallback=True)
    checks = gettext.translation(CHECKS_DOMAIN, checks_locale(), languages=[language], fallback=True)
    catalog.add_fallback(checks)
    return catalog


def format_number(value: int | float, language: str) -> str:
    """``value`` written the way ``language`` writes numbers (61 706, 0,903); past the 28 digits Babel writes
    out (decimal's context), in that language's scientific notation (1E300: a number read from a result file)."""
    try:
        return format_decimal(value, locale=language)
    except ArithmeticError:  # decimal.InvalidOperation
        return format_scientific(value, locale=language)


def _plain_fields(template: str) -> bool:
    """Whether every placeholder of ``template`` is a plain ``{name}`` (no format spec, conversion or index):
    a stored message is untrusted, and ``{x:>999999999}`` would build a huge string."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return False
    return all(field is None or (field.isidentifier() and not spec and conversion is None)
               for _text, field, spec, conversion in fields)


def _render_value(value: Any, language: str) -> str:
    if isinstance(value, Message):
        return value.render(language)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return format_number(value, language)
    if isinstance(value, list):
        return format_list([_render_value(item, language) for item in value], locale=language)
    return str(value)


def _value_to_json(value: Any) -> Any:
    if isinstance(value, Message):
        return {"message": value.to_json()}
    if isinstance(value, list):
        return {"list": [_value_to_json(item) for item in value]}
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return str(value)


def _value_from_json(value: Any, depth: int, budget: list[int]) -> Any:
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, dict) and set(value) == {"message"}:
        return Message.from_json(value["message"], depth + 1, budget)
    if isinstance(value, dict) and set(value) == {"list"} and isinstance(value["list"], list):
        budget[0] -= len(value["list"])
        if budget[0] < 0 or depth >= MAX_DEPTH:
            raise MessageError("a message has too many parts")
        return [_value_from_json(item, depth + 1, budget) for item in value["list"][:MAX_ARGS]]
    raise MessageError("a message argument is text, a number, a list or a message")
