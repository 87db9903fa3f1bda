"""grader collect: Canvas and Moodle bulk downloads (zips built here) into submitted/, nothing dropped silently."""

from __future__ import annotations

import datetime
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.utils import parse_utc

from grader.cli import main
from grader.collect import collect
from grader.timestamps import read_timestamp

MARCH_1 = (2024, 3, 1, 10, 0, 0)
MARCH_2 = (2024, 3, 2, 9, 30, 0)


def notebook_bytes(marker: str) -> bytes:
    return nbformat.writes(new_notebook(cells=[new_code_cell(f"# {marker}")])).encode()


def make_zip(path: Path, entries: list[tuple[str, tuple, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, when, data in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return path


def marker(course: Path, student: str) -> str:
    nb = nbformat.read(course / "submitted" / student / "conv2d" / "conv2d.ipynb", as_version=4)
    return nb.cells[0].source


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def canvas_zip(tmp_path) -> Path:
    return make_zip(tmp_path / "canvas.zip", [
        ("smithj_12345_67890_conv2d.ipynb", MARCH_1, notebook_bytes("smithj first")),
        ("smithj_12345_67891_conv2d-1.ipynb", MARCH_2, notebook_bytes("smithj resubmitted")),
        ("doej_late_22222_70000_conv2d.ipynb", MARCH_2, notebook_bytes("doej late")),
        ("doej_22222_70001_notes.pdf", MARCH_1, b"%PDF-1.4 not a notebook"),
        # the same zip time: Canvas' -N decides
        ("kovacsa_33333_70002_conv2d-2.ipynb", MARCH_1, notebook_bytes("kovacsa second")),
        ("kovacsa_33333_70003_conv2d-1.ipynb", MARCH_1, notebook_bytes("kovacsa first")),
        ("README.txt", MARCH_1, b"downloaded from Canvas"),
        ("../../escaped_44444_70004_conv2d.ipynb", MARCH_1, notebook_bytes("traversal")),
        ("__MACOSX/._smithj_12345_67890_conv2d.ipynb", MARCH_1, b"\x00\x05\x16\x07"),
    ])


def test_canvas_latest_notebook_per_student_wins(canvas_zip, tmp_path):
    course = tmp_path / "course"
    report = collect(canvas_zip, "conv2d", course)

    assert sorted(e.student for e in report.collected) == ["doej", "kovacsa", "smithj"]
    assert marker(course, "smithj") == "# smithj resubmitted"      # later zip time
    assert marker(course, "kovacsa") == "# kovacsa second"         # same time, higher -N
    assert [(old.name, new.name) for old, new in report.superseded] == [
        ("kovacsa_33333_70003_conv2d-1.ipynb", "kovacsa_33333_70002_conv2d-2.ipynb"),
        ("smithj_12345_67890_conv2d.ipynb", "smithj_12345_67891_conv2d-1.ipynb")]
    assert {e.student: e.late for e in report.collected} == {"doej": True, "kovacsa": False, "smithj": False}
    assert [(e.student, e.name) for e in report.not_notebooks] == [("doej", "doej_22222_70001_notes.pdf")]
    assert [(name, target.name) for name, target, _ in report.unmatched] == [
        ("README.txt", "README.txt"), ("../../escaped_44444_70004_conv2d.ipynb", "escaped_44444_70004_conv2d.ipynb")]
    assert [name for name, _ in report.skipped] == ["__MACOSX/._smithj_12345_67890_conv2d.ipynb"]


def test_canvas_files_land_in_nbgrader_layout_and_nothing_escapes(canvas_zip, tmp_path):
    course = tmp_path / "class" / "course"
    collect(canvas_zip, "conv2d", course)
    assert files_under(course) == {
        "submitted/doej/conv2d/conv2d.ipynb", "submitted/doej/conv2d/timestamp.txt",
        "submitted/kovacsa/conv2d/conv2d.ipynb", "submitted/kovacsa/conv2d/timestamp.txt",
        "submitted/smithj/conv2d/conv2d.ipynb", "submitted/smithj/conv2d/timestamp.txt",
        "submitted/.unmatched/README.txt", "submitted/.unmatched/escaped_44444_70004_conv2d.ipynb"}
    # the traversal entry is only in .unmatched, never where its name points (two levels up) or as a student
    assert files_under(tmp_path) - {f"class/course/{f}" for f in files_under(course)} == {"canvas.zip"}
    assert not (course / "submitted" / "escaped").exists()


def test_timestamp_is_the_zip_time_in_nbgraders_format(canvas_zip, tmp_path):
    course = tmp_path / "course"
    collect(canvas_zip, "conv2d", course)
    folder = course / "submitted" / "smithj" / "conv2d"
    text = (folder / "timestamp.txt").read_text().strip()
    assert text == "2024-03-02 09:30:00.000000 UTC"
    assert parse_utc(text) == datetime.datetime(2024, 3, 2, 9, 30)            # how nbgrader reads it
    assert read_timestamp(folder) == (datetime.datetime(2024, 3, 2, 9, 30, tzinfo=datetime.timezone.utc), "")

    collect(canvas_zip, "conv2d", tmp_path / "budapest", timezone="Europe/Budapest")
    text = (tmp_path / "budapest" / "submitted" / "smithj" / "conv2d" / "timestamp.txt").read_text().strip()
    assert text == "2024-03-02 08:30:00.000000 UTC"                           # CET is UTC+1 in March


def test_cli_lists_every_file_that_was_not_imported(canvas_zip, tmp_path, capsys):
    course = tmp_path / "course"
    assert main(["collect", "conv2d", "--zip", str(canvas_zip), "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert "3 notebook(s) collected" in out
    assert "doej" in out and "late" in out
    assert "uploaded as" not in out
    assert "superseded" in out and "smithj_12345_67890_conv2d.ipynb" in out
    assert "not a notebook" in out and "doej_22222_70001_notes.pdf" in out
    assert ".unmatched" in out and "README.txt" in out and "unsafe path" in out
    assert "__MACOSX" in out


def test_recollecting_a_newer_download_replaces_and_says_so(canvas_zip, tmp_path, capsys):
    course = tmp_path / "course"
    collect(canvas_zip, "conv2d", course)
    newer = make_zip(tmp_path / "newer.zip", [
        ("smithj_12345_67892_conv2d-2.ipynb", (2024, 3, 3, 8, 0, 0), notebook_bytes("smithj third"))])
    report = collect(newer, "conv2d", course)
    assert report.replaced == ["smithj"] and marker(course, "smithj") == "# smithj third"
    assert marker(course, "doej") == "# doej late"                          # untouched


def test_moodle_folders_and_flattened_names_with_a_roster(tmp_path):
    archive = make_zip(tmp_path / "moodle.zip", [
        ("Jane Doe_101_assignsubmission_file_/conv2d.ipynb", MARCH_1, notebook_bytes("jane")),
        ("John Smith_102_assignsubmission_file_conv2d.ipynb", MARCH_1, notebook_bytes("john old")),
        ("John Smith_102_assignsubmission_file_conv2d (1).ipynb", MARCH_2, notebook_bytes("john new")),
        ("John Smith_102_assignsubmission_file_/data.csv", MARCH_1, b"1,2\n"),
        ("Kovács Éva_103_assignsubmission_file_/sub/dir/conv2d.ipynb", MARCH_2, notebook_bytes("eva")),
        ("Kovács Éva_103_assignsubmission_onlinetext_onlinetext.html", MARCH_2, b"<p>see notebook</p>"),
        ("grades.csv", MARCH_1, b"not from a student"),
    ])
    roster = tmp_path / "roster.csv"
    roster.write_text("lms_id,student_id\n101,jdoe\nJohn Smith,jsmith\n")
    course = tmp_path / "course"
    report = collect(archive, "conv2d", course, roster=roster)

    assert sorted(e.student for e in report.collected) == ["103", "jdoe", "jsmith"]
    assert report.not_in_roster == ["103"]                                    # kept its participant id
    assert marker(course, "jsmith") == "# john new" and marker(course, "jdoe") == "# jane"
    assert marker(course, "103") == "# eva"
    assert [old.name for old, _ in report.superseded] == ["John Smith_102_assignsubmission_file_conv2d.ipynb"]
    assert sorted(e.name for e in report.not_notebooks) == [
        "John Smith_102_assignsubmission_file_/data.csv", "Kovács Éva_103_assignsubmission_onlinetext_onlinetext.html"]
    assert [target.name for _, target, _ in report.unmatched] == ["grades.csv"]
    assert (course / "submitted" / ".unmatched" / "grades.csv").read_bytes() == b"not from a student"


def test_moodle_without_a_roster_uses_participant_ids(tmp_path):
    archive = make_zip(tmp_path / "moodle.zip", [
        ("Jane Doe_101_assignsubmission_file_/conv2d.ipynb", MARCH_1, notebook_bytes("jane"))])
    report = collect(archive, "conv2d", tmp_path / "course")
    assert [e.student for e in report.collected] == ["101"]


def test_canvas_gradebook_export_as_roster_maps_user_ids_to_sis_logins(canvas_zip, tmp_path):
    roster = tmp_path / "gradebook.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,conv2d (555)\n"
                      "    Points Possible,,,,,10\n"
                      '"Smith, John",12345,S001,jsmith,Sec A,\n'
                      '"Doe, Jane",22222,S002,,Sec A,\n')
    report = collect(canvas_zip, "conv2d", tmp_path / "course", roster=roster)
    assert sorted(e.student for e in report.collected) == ["S002", "jsmith", "kovacsa"]
    assert report.not_in_roster == ["kovacsa"]


def test_oversized_files_and_zip_bombs_are_refused(tmp_path, capsys):
    archive = make_zip(tmp_path / "big.zip", [
        ("smithj_12345_67890_conv2d.ipynb", MARCH_1, notebook_bytes("ok")),
        ("doej_22222_70000_conv2d.ipynb", MARCH_1, b"{" + b" " * 5000 + b"}"),
        ("huge.bin", MARCH_1, b"\0" * 5000)])
    report = collect(archive, "conv2d", tmp_path / "course", max_file_bytes=4000)
    assert [e.student for e in report.collected] == ["smithj"]
    assert sorted(name for name, _ in report.skipped) == ["doej_22222_70000_conv2d.ipynb", "huge.bin"]
    assert all("allowed per file" in why for _, why in report.skipped)
    assert not (tmp_path / "course" / "submitted" / "doej").exists()

    with pytest.raises(ValueError, match="zip bomb"):
        collect(archive, "conv2d", tmp_path / "other", max_total_bytes=8000)
    assert not (tmp_path / "other").exists()                                  # refused before writing anything

    (tmp_path / "not.zip").write_bytes(b"this is not a zip")
    assert main(["collect", "conv2d", "--zip", str(tmp_path / "not.zip"), "--course", str(tmp_path / "c")]) == 2
    assert "not a readable zip" in capsys.readouterr().err


def test_symlink_entries_are_skipped(tmp_path):
    path = tmp_path / "links.zip"
    with zipfile.ZipFile(path, "w") as archive:
        link = zipfile.ZipInfo("smithj_12345_67890_conv2d.ipynb", date_time=MARCH_1)
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "/etc/passwd")
        archive.writestr(zipfile.ZipInfo("doej_22222_70000_conv2d.ipynb", date_time=MARCH_1), notebook_bytes("doej"))
    report = collect(path, "conv2d", tmp_path / "course")
    assert [e.student for e in report.collected] == ["doej"]
    assert report.skipped == [("smithj_12345_67890_conv2d.ipynb", "a symbolic link, not a file")]


def test_a_zip_without_notebooks_exits_1(tmp_path, capsys):
    archive = make_zip(tmp_path / "empty.zip", [("notes.txt", MARCH_1, b"x")])
    assert main(["collect", "conv2d", "--zip", str(archive), "--course", str(tmp_path / "c")]) == 1
    assert "0 notebook(s) collected" in capsys.readouterr().out
