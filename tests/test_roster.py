"""Rosters: Canvas' gradebook export or lms_id,student_id[,name,email]; anything else is refused naming the file."""

from __future__ import annotations

import pytest

from grader.cli import main
from grader.roster import RosterError, RosterRow, read_roster

CANVAS = ("\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,conv2d (5501)\n"
          "    Points Possible,,,,,10.00\n"
          '"Kovács, Anna",20001,A-1,KOVAN1,CNN,\n'
          '"Nagy, Bence",20002,,,CNN,\n'
          '"Student, Test",29999,,,CNN,\n')


def test_canvas_export_rows_and_names(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(CANVAS, encoding="utf-8")
    rows = read_roster(path)
    assert [(r.student_id, r.canvas_id, r.name) for r in rows] == [
        ("KOVAN1", "20001", "Kovács, Anna"), ("20002", "20002", "Nagy, Bence")]   # no SIS ids: the Canvas id
    assert rows[0].first_and_last_name == ("Anna", "Kovács")                      # Canvas' fake Test Student left out


def test_a_plain_roster_with_names_and_emails(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("lms_id,student_id,name,email\n301,NAGYB1,Nagy Bence,b@x.hu\n,NOLMS,,\n", encoding="utf-8")
    assert read_roster(path) == [RosterRow(student_id="NAGYB1", lms_id="301", name="Nagy Bence", email="b@x.hu")]
    assert read_roster(path)[0].first_and_last_name == ("", "Nagy Bence")


@pytest.mark.parametrize("content, says", [
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe", "not a CSV file (not UTF-8 text)"),
    ("név;azonosító\nAnna;1\n".encode(), "not a roster: expected Canvas' gradebook export"),
    (b"", "got no header"),
])
def test_anything_else_is_refused_naming_the_file(tmp_path, content, says):
    path = tmp_path / "grades.xlsx"
    path.write_bytes(content)
    with pytest.raises(RosterError) as error:
        read_roster(path)
    assert str(error.value).startswith(f"{path}: ") and says in str(error.value)


def test_the_commands_say_it_in_one_line(tmp_path, capsys):
    roster = tmp_path / "grades.xlsx"
    roster.write_bytes(b"PK\x03\x04\xff\xfe")
    (tmp_path / "grader.toml").write_text('roster = "grades.xlsx"\n')
    assert main(["export", "conv2d", "--csv", str(tmp_path / "x.csv"), "--course", str(tmp_path)]) == 2
    assert main(["collect", "conv2d", "--zip", str(tmp_path / "none.zip"), "--course", str(tmp_path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"grader export: {roster}: not a CSV file (not UTF-8 text): save the roster as CSV (UTF-8)",
                     f"grader collect: {roster}: not a CSV file (not UTF-8 text): save the roster as CSV (UTF-8)"]
