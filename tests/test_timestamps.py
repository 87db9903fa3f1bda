"""timestamp.txt: a plausible time or a warning, never an exception, read bounded and without following links."""

import datetime
import os

import pytest

from grader.timestamps import MAX_TIMESTAMP_BYTES, TIMESTAMP_FILE, parse_timestamp, read_timestamp, timestamp_text

UTC = datetime.timezone.utc


@pytest.mark.parametrize("text, expected", [
    ("2024-03-01 10:00:00.000000 UTC\n", datetime.datetime(2024, 3, 1, 10, tzinfo=UTC)),
    ("2024-03-01 10:00:00.5 Europe/Budapest", datetime.datetime(2024, 3, 1, 9, 0, 0, 500000, tzinfo=UTC)),
    ("2026-11-27T10:00:00+01:00", datetime.datetime(2026, 11, 27, 9, tzinfo=UTC)),
    ("2024-03-01T10:00:00Z", datetime.datetime(2024, 3, 1, 10, tzinfo=UTC)),
    ("2024-03-01 10:00", datetime.datetime(2024, 3, 1, 10, tzinfo=UTC)),
])
def test_nbgrader_and_iso_times_are_read(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text, reason", [
    ("garbage", "is not a time like"),
    ("monday", "is not a time like"),
    ("2024-02-30 10:00:00 UTC", "is not a valid time"),
    ("2024-03-01 10:00:00 Not/AZone", "is not a valid time"),
    ("2024-03-01 10:00:00 ../../etc/passwd", "is not a time like"),
    ("2024-03-01 10:00:00+01:00 UTC", "is not a valid time"),
    ("1970-01-01 00:00:00 UTC", "is not between 2000 and 2100"),
    ("9999-12-31 23:59:59-01:00", "is not a valid time"),
    ("0001-01-01 00:00:00+01:00", "is not a valid time"),
    ("2" * 10_000, "is not a time like"),
    (None, "is not a time like"),
    (20240301, "is not a time like"),
])
def test_anything_else_is_a_value_error_with_a_short_reason(text, reason):
    with pytest.raises(ValueError, match=reason) as caught:
        parse_timestamp(text)
    assert len(str(caught.value)) < 150


def test_the_text_collect_writes_is_read_back(tmp_path):
    when = datetime.datetime(2024, 3, 2, 9, 30, 15, 250, tzinfo=UTC)
    (tmp_path / TIMESTAMP_FILE).write_text(timestamp_text(when) + "\n")
    assert read_timestamp(tmp_path) == (when, "")


def test_no_file_is_no_time_and_no_warning(tmp_path):
    assert read_timestamp(tmp_path) == (None, "")


@pytest.mark.parametrize("make, warning", [
    (lambda p: p.write_bytes(b"garbage"), "'garbage' is not a time like"),
    (lambda p: p.write_bytes(b"\xff\xfe\x00\x01binary"), "it is not text"),
    (lambda p: p.write_bytes(b"2024-03-01 10:00:00 UTC" + b" " * MAX_TIMESTAMP_BYTES), "is over 256 bytes"),
    (lambda p: p.write_text("2150-01-01 00:00:00.000000 UTC"), "is not between 2000 and 2100"),
    (lambda p: p.symlink_to("/dev/zero"), "is a symbolic link"),
    (lambda p: p.symlink_to(p.parent / "elsewhere"), "is a symbolic link"),
    (lambda p: p.mkdir(), "is not a regular file"),
    (lambda p: os.mkfifo(p), "is not a regular file"),
])
def test_an_unusable_file_is_a_warning(tmp_path, make, warning):
    (tmp_path / "elsewhere").write_text("2024-03-01 10:00:00.000000 UTC")
    make(tmp_path / TIMESTAMP_FILE)
    when, message = read_timestamp(tmp_path)
    assert when is None and message.startswith("timestamp.txt ignored") and warning in message
