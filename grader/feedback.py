"""Per-student feedback pages, rendered only from the result documents.

A page shows scores, each check's title, outcome and message, and the visible
tests; it never shows the hidden check code, hidden inputs, or the TA-only
``detail`` field of a check. Every field is cleaned and typed before it reaches
the template, and one result that cannot be read or rendered never stops the
pages of the other students.

What one of the student's functions did wrong in many checks (not implemented yet, an
endless loop, the same error every time) is said once for all of them, beside each check's
points; the code cells the grader dropped (not solution cells) are named.

A page is in its result's language (the edition of the notebook, else the course's): its fixed
texts are messages (:mod:`grader.i18n`), each check's title is looked up in the catalogs, each
check's message and the reason of an ungradable notebook are their stored messages, and numbers,
times and durations are written that language's way.
"""

from __future__ import annotations

import datetime
import logging
import re
import secrets
from collections.abc import Callable
from pathlib import Path

import jinja2
from babel.dates import format_datetime
from babel.lists import format_list
from babel.units import format_unit
from markupsafe import Markup, escape

from grader import gradebook, i18n, paths, results, staleness
from grader.assignment import AssignmentError
from grader.checks.run import ENDLESS_LOOP, GAVE_UP, MAX_MESSAGE, NOT_RUN, PROGRAM
from grader.course import Course, as_course
from grader.i18n import SOURCE_LANGUAGE, Message, _, _n, stored_message
from grader.notebook.added import cell_phrases, clean_cells
from grader.timestamps import SECRET_FILE, TIMESTAMP_FILE, parse_timestamp
from grader.untrusted import read_regular_file

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined)
TEXT_FIELDS = ("student", "assignment", "status", "reason", "graded_at", "notebook_sha256", "submitted_at")
#: What a page shows: everything (hidden), the visible tests and the score (visible), the score only (score).
LEVELS = ("hidden", "visible", "score")
CHECK_TEXT = ("name", "title", "cell", "outcome", "message", "function", "cause")
# Causes whose checks share one line whatever their messages say: the first check's failure made the others fail.
ONE_LINE = (ENDLESS_LOOP, GAVE_UP, PROGRAM)
PROBLEM_CHARS = 300
NAME_CHARS = 100  # a check's function and cause: names, never long
MAX_EXCHANGE_FILE_BYTES = 1024  # nbgrader writes a 128-character secret and a 30-character timestamp
_EXCHANGE_TEXT = re.compile(rb"[\t\n\r\x20-\x7e]*[\x21-\x7e][\t\n\r\x20-\x7e]*")  # printable ASCII, not blank
_LOG = logging.getLogger(__name__)
# The outcome of a check (and of a visible test), as a page says it; an outcome not listed is shown as it is.
OUTCOMES = {"passed": _("passed"), "failed": _("failed"), "timeout": _("timeout"), "crashed": _("crashed"),
            "error": _("error"), NOT_RUN: _("not run")}
DURATION_CHARS = 80
#: What ``grader watch`` puts on top of a page: a message, a text, or a message made for the page's language
#: (``note(language)``, for one that holds a time, written that language's way).
Note = Message | str | Callable[[str], Message | str]


def page_language(result: dict, language: str | None = None, course_language: str = SOURCE_LANGUAGE) -> str:
    """The language of a page: ``language`` when forced, else the result's (its edition's), else the course's."""
    return i18n.choose_language(language, result.get("language") if isinstance(result, dict) else None,
                                course_language)


def say(message: Message | str, language: str, english: str = "") -> str:
    """``message`` in ``language``, cleaned; a stored message that does not render gives ``english``."""
    if isinstance(message, Message) and not message.msgid:  # a passed check's: gettext("") is a catalog's header
        return ""
    try:
        return results.clean_text(i18n.text(message, language))
    except Exception:  # a message read from a result file is untrusted: any failure shows its English
        return results.clean_text(english or str(getattr(message, "msgid", message)))


def title_text(title: str, language: str) -> str:
    """A hidden check's title in ``language`` (the catalogs'; the English where they have none)."""
    return results.clean_text(i18n.translations(language).gettext(title)) if title else ""


def outcome_text(outcome: str, language: str) -> str:
    """An outcome word (passed, failed, timeout...) in ``language``."""
    return OUTCOMES[outcome].render(language) if outcome in OUTCOMES else outcome


def duration_text(seconds: float, language: str) -> str:
    """A lateness for people, the way ``language`` says it: '2 days, 3 hours', '3 óra és 5 perc', '40 seconds'."""
    seconds = int(max(0.0, min(float(seconds), 1e12)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    parts = [(days, "duration-day"), (hours, "duration-hour"), (minutes, "duration-minute")] if seconds >= 60 \
        else [(rest, "duration-second")]
    shown = [format_unit(value, unit, locale=language) for value, unit in parts if value] \
        or [format_unit(0, "duration-second", locale=language)]
    return format_list(shown, style="unit", locale=language)[:DURATION_CHARS]


def time_text(when: datetime.datetime | str, language: str) -> str:
    """A time (aware, or as nbgrader or ISO 8601 writes it) the way ``language`` writes it, in UTC; else as it is."""
    if isinstance(when, str):
        try:
            when = parse_timestamp(when)
        except ValueError:
            return when
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return format_datetime(when, "long", tzinfo=datetime.timezone.utc, locale=language)


def note_text(note: Note, language: str) -> str:
    """What ``note`` says in ``language``."""
    return say(note(language) if callable(note) else note, language)


def code(text: str) -> Markup:
    """``text`` as code on a page (escaped), for a placeholder of a page's message."""
    return Markup("<code>{}</code>").format(text)


def html_text(language: str, message: Message) -> Markup:
    """``message`` in ``language`` as HTML: all of it escaped but the placeholders given as :func:`code` markup."""
    token = secrets.token_hex(8)
    kept: dict[str, Markup] = {}

    def hold(value):
        if isinstance(value, Markup):
            placeholder = f"\ue000{token}.{len(kept)}\ue001"
            kept[placeholder] = value
            return placeholder
        if isinstance(value, list):
            return [hold(item) for item in value]
        return value

    held = Message(message.msgid, tuple((name, hold(value)) for name, value in message.args), message.plural,
                   message.count)
    html = str(escape(held.render(language)))
    for placeholder, value in kept.items():
        html = html.replace(placeholder, str(value))
    return Markup(html)


def template_functions(language: str) -> dict:
    """What a page's template calls to write in ``language``: its messages (``_``, ``_n``), numbers, code, times."""
    make, make_n = _, _n  # the msgids are the template's: Babel finds them there

    def gettext(msgid: str, **args) -> Markup:
        return html_text(language, make(msgid, **args))

    def ngettext(singular: str, plural: str, count: float, **args) -> Markup:
        # a fraction (1.5 points) takes the form of "other", which in English and Hungarian is that of 2
        count = int(count) if float(count).is_integer() else 2
        return html_text(language, make_n(singular, plural, count, **args))

    return {"_": gettext, "_n": ngettext, "num": lambda value: i18n.format_number(value, language), "code": code,
            "codes": lambda items: [code(item) for item in items], "lang": language,
            "outcome": lambda word: outcome_text(word, language), "when": lambda moment: time_text(moment, language)}


def student_view(result: dict, cell_order: tuple[str, ...] = (), language: str = SOURCE_LANGUAGE) -> dict:
    """The part of a result a student may see, each field cleaned and of the type the page expects.

    Grade cells are listed in ``cell_order`` (the notebook's), any others after them. The texts a
    page shows from the result (titles, messages, the reason, the lateness) are in ``language``.
    """
    result = results.clean(result)
    view = {**_texts(result, TEXT_FIELDS), **_numbers(result, ("score", "max_score", "seconds_late", "late_penalty"))}
    view["reason"] = say(_reason(_dict(result), view, language), language, view["reason"])
    view["late_by"] = duration_text(view["seconds_late"], language) if view["seconds_late"] > 0 else ""
    view["sandbox"] = {"confined": _dict(result.get("sandbox")).get("confined") is True}
    cells = _dict(result.get("cells"))
    ordered = [key for key in cell_order if key in cells] + [key for key in cells if key not in cell_order]
    view["cells"] = {key: _numbers(cells[key], ("score", "max_score")) for key in ordered}
    view["checks"] = [{**_texts(check, CHECK_TEXT), **_numbers(check, ("points", "score")),
                       "said": stored_message(_dict(check), "message", language)}
                      for check in _list(result.get("checks"))]
    for check in view["checks"]:
        check["function"], check["cause"] = check["function"][:NAME_CHARS], check["cause"][:NAME_CHARS]
        check["title"] = title_text(check["title"], language)
    view["groups"] = check_groups(view["checks"], language)
    view["not_graded"] = cell_phrases(clean_cells(result.get("not_graded_cells")))
    view["manual"] = [str(cell) for cell in _list(result.get("manual"))]
    view["comments"] = {str(cell): str(text) for cell, text in _dict(result.get("comments")).items()}
    view["visible_tests"] = [{**_texts(test, ("cell", "error")), "passed": _dict(test).get("passed") is True,
                              "error": i18n.stored(_dict(test), "error", language)[:MAX_MESSAGE]}
                             for test in _list(result.get("visible_tests"))]
    return view


def check_groups(checks: list[dict], language: str = SOURCE_LANGUAGE) -> list[dict]:
    """The checks as the page lists them: ``[{"message", "rows": [check, ...]}]``, in the order of each group's first.

    A check stands alone unless it failed because of one of the student's functions: the checks
    of one function that failed the same way (same cause and message; for a loop or a program
    that could not run, the same cause) share one message, said once, in ``language``: its
    first check's stored message (``said``; else its English ``message``).
    """
    groups: list[dict] = []
    by_key: dict[tuple, dict] = {}
    for check in checks:
        key = None
        if check["outcome"] != "passed" and (check["function"] or check["cause"]):
            key = (check["function"], check["cause"]) + (() if check["cause"] in ONE_LINE else (check["message"],))
        if key in by_key:
            by_key[key]["rows"].append(check)
            continue
        group = {"message": check["message"], "rows": [check]}
        groups.append(group)
        if key is not None:
            by_key[key] = group
    for group in groups:
        first = group["rows"][0]
        said = first.get("said", first["message"])
        if first["cause"] == ENDLESS_LOOP and first["outcome"] != NOT_RUN and len(group["rows"]) > 1:
            said = _("{message}; the checks after it that call {function} were not run", message=said,
                     function=first["function"])
        group["message"] = say(said, language, group["message"])[:MAX_MESSAGE]  # as long as the English may be
    return groups


def _reason(result: dict, view: dict, language: str) -> Message | str:
    """Why a result has no score, as a message: the stored one, or the stale one (:mod:`grader.staleness`)."""
    english = view["reason"]
    if view["status"] == "stale":  # the stale view keeps the old result's other fields: its reason_i18n too
        stale = _("the notebook in submitted/ changed after this result was graded: run `grader autograde {name}` "
                  "to grade the new one", name=view["assignment"])
        return stale if str(stale) == english else english
    return stored_message(result, "reason", language)


def render(result: dict, cell_order: tuple[str, ...] = (), *, level: str = "hidden", note: Note = "",
           language: str | None = None, course_language: str = SOURCE_LANGUAGE) -> str:
    """The HTML feedback page of one result, showing what ``level`` allows (:data:`LEVELS`), with ``note`` on top.

    The page is in ``language`` when given, else in the result's (:func:`page_language`).
    """
    if level not in LEVELS:
        raise ValueError(f"unknown feedback level {level!r}")
    language = page_language(result, language, course_language)
    return _ENV.get_template("feedback.html").render(r=student_view(result, cell_order, language), level=level,
                                                     note=note_text(note, language) if note else "",
                                                     **template_functions(language))


def write_feedback(course: Path | Course, assignment: str, db_url: str | None = None,
                   students: set[str] | None = None, pages: dict[str, tuple[str, Note]] | None = None,
                   language: str | None = None) -> tuple[list[Path], list[str]]:
    """Write ``feedback/STUDENT/NAME/NAME.html`` for every stored result (of ``students``); returns (pages, problems).

    ``pages`` maps a student to the (level, note) of their page (:func:`render`; ``grader watch``'s
    policy); a student it does not name gets everything. Each page is in its result's language
    (the edition of the notebook; the course's when the result has none), or in ``language``.

    Scores are the gradebook's when it has the student (``db_url``, default the course's
    gradebook.db), so a TA's manual grades and comments reach the page and every number on
    it matches ``grader export`` and ``nbgrader export``. A result that cannot be read or
    rendered is skipped and named in the problems; the other students' pages are still
    written. Harness errors get no page. Late work says how late, and the penalty.
    """
    settings = as_course(course)
    course = settings.root
    final = gradebook.course_scores(settings, assignment, db_url, students)
    order = _cell_order(settings, assignment)
    written, problems = [], []
    for path in sorted((course / "autograded").glob(f"*/{assignment}/{results.RESULT_FILE}")):
        student = path.parent.parent.name  # the folder is the identity, never the result's own student field
        if students is not None and student not in students:
            continue
        try:
            level, note = (pages or {}).get(student, ("hidden", ""))
            page = _write_page(course, student, assignment, path, final.get(student), order, level, note,
                               language, settings.config.language)
        except Exception as error:  # one bad result never stops the other students' pages
            problems.append(results.clean_text(f"{student}: {type(error).__name__}: {error}")[:PROBLEM_CHARS])
            continue
        if page is not None:
            written.append(page)
    return written, problems


def _write_page(course: Path, student: str, assignment: str, path: Path, final: dict | None,
                cell_order: tuple[str, ...] = (), level: str = "hidden", note: Note = "",
                language: str | None = None, course_language: str = SOURCE_LANGUAGE) -> Path | None:
    """Render and write one student's page; None for a harness error (no page)."""
    result = results.read(path)
    if result is None:
        raise ValueError(f"{results.RESULT_FILE} is unreadable or malformed")
    if result["status"] == "error":
        return None
    result = gradebook.with_final_scores(staleness.current(course, student, assignment, result), final)
    out = paths.feedback_dir(course, student, assignment) / f"{assignment}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(result, cell_order, level=level, note=note, language=language,
                          course_language=course_language), encoding="utf-8")
    for note in keep_exchange_files(course, student, assignment):
        _LOG.warning("note: %s", note)
    return out


def keep_exchange_files(course: Path, student: str, assignment: str) -> list[str]:
    """Copy ``timestamp.txt`` and ``submission_secret.txt`` from ``submitted/`` beside the page; returns notes.

    nbgrader's ``release_feedback`` reads both from the page's folder and publishes the page
    under a hash of the secret and the notebook's name, which is how the student's
    ``fetch_feedback`` finds it. Both are the student's files: each is read without following
    a link, at most ``MAX_EXCHANGE_FILE_BYTES``, and kept only when it is printable ASCII text
    (release_feedback fails on anything it cannot read as text, or on an empty secret). Nothing
    else is copied. A submission without a secret did not come through nbgrader's exchange: no
    notes. Otherwise a file missing or unusable is left out (an older copy is removed) and named
    in a note, since release_feedback stops at that page.
    """
    source = paths.submitted_notebook(course, student, assignment).parent
    folder = paths.feedback_dir(course, student, assignment)
    kept = {name: _exchange_text(source / name) for name in (SECRET_FILE, TIMESTAMP_FILE)}
    notes = []
    for name, (data, why) in kept.items():
        (folder / name).unlink(missing_ok=True)
        if data is not None:
            (folder / name).write_bytes(data)
        elif kept[SECRET_FILE] != (None, None):
            notes.append(f"{student}: {name} not kept beside the feedback page ({why or 'it was not submitted'}); "
                         f"nbgrader release_feedback stops at this page: leave it out with "
                         f"--CourseDirectory.student_id_exclude={student}")
    return [results.clean_text(note) for note in notes]


def _exchange_text(path: Path) -> tuple[bytes | None, str | None]:
    """(the bytes, "") of one exchange file, (None, None) when it is absent, or (None, why it cannot be kept)."""
    try:
        data = read_regular_file(path, MAX_EXCHANGE_FILE_BYTES)
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as problem:  # UnsafeFile is a ValueError
        return None, str(problem)
    if not _EXCHANGE_TEXT.fullmatch(data):
        return None, f"{path.name} is not printable ASCII text"
    return data, ""


def _cell_order(course: Course, assignment: str) -> tuple[str, ...]:
    """The assignment's grade cells in notebook order; () when its source is not found here."""
    try:
        return tuple(course.assignment(assignment).grade_cells)
    except AssignmentError:
        return ()


def _texts(item: object, keys: tuple[str, ...]) -> dict[str, str]:
    """The string fields ``keys`` of ``item`` ("" where missing or not a string)."""
    item = _dict(item)
    return {key: item[key] if isinstance(item.get(key), str) else "" for key in keys}


def _numbers(item: object, keys: tuple[str, ...]) -> dict[str, float]:
    """The number fields ``keys`` of ``item`` (0 where missing or not a number)."""
    item = _dict(item)
    return {key: float(item[key]) if isinstance(item.get(key), (int, float)) and not isinstance(item[key], bool)
            else 0.0 for key in keys}


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []
