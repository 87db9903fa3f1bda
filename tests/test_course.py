"""grader.toml: every key typed with a default, bad values refused naming the file, due dates and extensions."""

from __future__ import annotations

import datetime

import pytest

from grader import paths
from grader.cli import main
from grader.course import CONFIG_FILE, Course, CourseConfigError, parse_duration

UTC = datetime.timezone.utc
SEMESTER = """
roster = "roster.csv"
timezone = "Europe/Budapest"
missing_score_zero = true

[late]
method = "per_day"
percent_per_day = 25

[due]
conv2d = 2024-10-10T23:59:00+02:00
pooling = 2024-10-20T12:00:00          # no offset: the course's time zone

[extensions.conv2d]
"20001" = "2 days"
"20002" = 2024-10-12T08:00:00+02:00    # a personal due date
"""


def write(tmp_path, text: str) -> Course:
    (tmp_path / CONFIG_FILE).write_text(text, encoding="utf-8")
    return Course.load(tmp_path)


def test_a_course_without_the_file_gets_every_default(tmp_path):
    course = Course.load(tmp_path)
    assert course.config.late.method == "none" and course.config.roster == "" and course.roster == []
    assert course.due_date("conv2d") is None and course.seconds_late("conv2d", "x", datetime.datetime.now(UTC)) == 0


def test_due_dates_extensions_and_the_course_time_zone(tmp_path):
    course = write(tmp_path, SEMESTER)
    assert course.due_date("conv2d") == datetime.datetime(2024, 10, 10, 21, 59, tzinfo=UTC)
    assert course.due_date("pooling") == datetime.datetime(2024, 10, 20, 10, 0, tzinfo=UTC)   # CEST is UTC+2
    assert course.extension("conv2d", "20001") == datetime.timedelta(days=2)
    assert course.extension("conv2d", "20002") == datetime.timedelta(days=1, hours=8, minutes=1)
    assert course.extension("conv2d", "20003") is None
    one_day_late = datetime.datetime(2024, 10, 11, 21, 59, tzinfo=UTC)
    assert course.seconds_late("conv2d", "20003", one_day_late) == 86400
    assert course.seconds_late("conv2d", "20001", one_day_late) == 0                    # inside the extension
    assert course.seconds_late("conv2d", "20003", None) == 0                            # no time: never late


@pytest.mark.parametrize("text, says", [
    ("colour = 'red'\n", "unknown key(s) colour"),
    ("[late]\nmethod = 'half'\n", "method must be one of none, zero, per_day"),
    ("[late]\npercent_per_day = 150\n", "between 0 and 100"),
    ("timezone = 'Mars/Olympus'\n", "not an IANA time zone"),
    ("[due]\nconv2d = 'next friday'\n", "expected a date and time"),
    ("[due]\nconv2d = 2024-10-10T23:59:00Z\n[extensions.conv2d]\nx = 'a fortnight'\n", "is not a duration"),
    ("[extensions.conv2d]\nx = 2024-10-12T08:00:00Z\n", "a personal due date needs [due] conv2d"),
    ("roster = \n", "grader.toml"),
    ("[watch]\nfeedback = 'everything'\n", "[watch] feedback must be one of hidden, visible, score"),
    ("[watch]\nhidden_feedback_per_hour = -1\n", "must be 0 or more"),
    ("[watch]\nfeedbak = 'score'\n", "feedbak"),
])
def test_a_bad_config_is_refused_naming_the_file(tmp_path, text, says):
    with pytest.raises(CourseConfigError) as error:
        write(tmp_path, text)
    assert str(error.value).startswith(str(tmp_path / CONFIG_FILE)) and says in str(error.value)


def test_every_command_reports_a_bad_config_in_one_line(tmp_path, capsys):
    (tmp_path / CONFIG_FILE).write_text("[late]\nmethod = 'half'\n")
    for command in (["export", "conv2d", "--csv", str(tmp_path / "x.csv")], ["feedback", "conv2d"],
                    ["autograde", "conv2d", "--unsafe-no-sandbox"], ["collect", "conv2d", "--zip", "x.zip"]):
        assert main([*command, "--course", str(tmp_path)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"grader {command[0]}: {tmp_path / CONFIG_FILE}: [late] method must be one of none, zero, "
                       "per_day, not 'half'"]


def test_durations():
    assert parse_duration("1 week 2 days and 30 minutes") == datetime.timedelta(days=9, minutes=30)
    assert parse_duration("36 hours") == datetime.timedelta(hours=36)
    for bad in ("", "2", "two days", "2 days extra"):
        with pytest.raises(CourseConfigError):
            parse_duration(bad)


def test_assignments_are_found_in_the_course_first_then_in_the_package(tmp_path):
    own = tmp_path / "homework" / "conv2d"
    own.mkdir(parents=True)
    (own / "conv2d.ipynb").write_text("{}")
    course = write(tmp_path, 'assignments = "homework"\n')
    assert course.assignment("conv2d").root == own                          # the course's own copy wins
    assert course.assignment("pooling").root == paths.assignments_root() / "pooling"
    with pytest.raises(ValueError, match="no assignment 'nope' in .*homework or .*known: .*conv2d"):
        course.assignment("nope")
