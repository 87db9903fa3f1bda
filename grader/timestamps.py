"""nbgrader's ``timestamp.txt``: the submission time beside a submitted notebook.

``grader collect`` and nbgrader write it; anyone with access to ``submitted/`` can
replace it. It is read bounded and without following links, and anything but a
plausible time is ignored with a warning for the TA: grading never fails on it.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from grader.untrusted import read_regular_file

TIMESTAMP_FILE = "timestamp.txt"
SECRET_FILE = "submission_secret.txt"  # nbgrader submit writes it beside timestamp.txt
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"
MAX_TIMESTAMP_BYTES = 256
EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
LATEST = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
QUOTE_CHARS = 40
UTC_NAMES = ("UTC", "GMT", "Z")
_STAMP = re.compile(r"(?P<when>\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?(?:Z|[+-]\d\d:?\d\d)?)"
                    r"(?: (?P<zone>[A-Za-z][A-Za-z0-9_+\-/]{0,63}))?")


def timestamp_text(when: datetime.datetime) -> str:
    """nbgrader's ``timestamp.txt`` content (its default format, in UTC)."""
    return when.astimezone(datetime.timezone.utc).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: object) -> datetime.datetime:
    """The time in ``text`` (aware, UTC); raises ValueError saying why it is not a submission time.

    Accepts nbgrader's format (``2024-03-01 10:00:00.000000 UTC``, any IANA zone name)
    and ISO 8601 with or without an offset (no offset means UTC), between 2000 and 2100.
    """
    match = _STAMP.fullmatch(text.strip()) if isinstance(text, str) and len(text) <= MAX_TIMESTAMP_BYTES else None
    if match is None:
        raise ValueError(f"{_quote(text)} is not a time like {timestamp_text(EARLIEST)}")
    try:
        when = datetime.datetime.fromisoformat(match["when"])
        if match["zone"] and when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc if match["zone"] in UTC_NAMES else ZoneInfo(match["zone"]))
        elif match["zone"]:
            raise ValueError("both an offset and a time zone")
        when = when.replace(tzinfo=when.tzinfo or datetime.timezone.utc).astimezone(datetime.timezone.utc)
    except (ValueError, OverflowError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"{_quote(text)} is not a valid time") from None
    if not EARLIEST <= when < LATEST:
        raise ValueError(f"{timestamp_text(when)} is not between {EARLIEST.year} and {LATEST.year}")
    return when


def read_timestamp(folder: Path) -> tuple[datetime.datetime | None, str]:
    """(submission time, warning) from ``folder/timestamp.txt``.

    ``(None, "")`` when there is no such file, ``(None, warning)`` when it is unusable
    (a link, not a regular file, over ``MAX_TIMESTAMP_BYTES``, not text, not a plausible time).
    """
    try:
        data = read_regular_file(Path(folder) / TIMESTAMP_FILE, MAX_TIMESTAMP_BYTES)
        return parse_timestamp(data.decode("utf-8")), ""
    except FileNotFoundError:
        return None, ""
    except UnicodeDecodeError:
        return None, f"{TIMESTAMP_FILE} ignored (it is not text)"
    except (OSError, ValueError) as problem:  # UnsafeFile is a ValueError
        return None, f"{TIMESTAMP_FILE} ignored ({problem})"


def _quote(text: object) -> str:
    shown = repr(text[:QUOTE_CHARS] if isinstance(text, str) else type(text).__name__)
    return shown + ("…" if isinstance(text, str) and len(text) > QUOTE_CHARS else "")
