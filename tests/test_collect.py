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
from grader.collect import CollectError, collect, summary_lines
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

    assert sorted(e.student for e in report.collected) == ["12345", "22222", "33333"]   # Canvas user ids
    assert marker(course, "12345") == "# smithj resubmitted"       # later zip time
    assert marker(course, "33333") == "# kovacsa second"           # same time, higher -N
    assert [(old.name, new.name) for old, new in report.superseded] == [
        ("smithj_12345_67890_conv2d.ipynb", "smithj_12345_67891_conv2d-1.ipynb"),
        ("kovacsa_33333_70003_conv2d-1.ipynb", "kovacsa_33333_70002_conv2d-2.ipynb")]
    assert {e.student: e.late for e in report.collected} == {"22222": True, "33333": False, "12345": False}
    assert [(e.student, e.name) for e in report.not_notebooks] == [("22222", "doej_22222_70001_notes.pdf")]
    assert [(name, target.name) for name, target, _ in report.unmatched] == [
        ("README.txt", "README.txt"), ("../../escaped_44444_70004_conv2d.ipynb", "escaped_44444_70004_conv2d.ipynb")]
    assert [name for name, _ in report.skipped] == ["__MACOSX/._smithj_12345_67890_conv2d.ipynb"]


def test_canvas_files_land_in_nbgrader_layout_and_nothing_escapes(canvas_zip, tmp_path):
    course = tmp_path / "class" / "course"
    collect(canvas_zip, "conv2d", course)
    assert files_under(course) == {
        f"submitted/{user}/conv2d/{name}" for user in ("12345", "22222", "33333")
        for name in ("conv2d.ipynb", "timestamp.txt", ".collect.json")} | {
        "submitted/.unmatched/README.txt", "submitted/.unmatched/escaped_44444_70004_conv2d.ipynb"}
    # the traversal entry is only in .unmatched, never where its name points (two levels up) or as a student
    assert files_under(tmp_path) - {f"class/course/{f}" for f in files_under(course)} == {"canvas.zip"}
    assert not (course / "submitted" / "escaped").exists()


def test_timestamp_is_the_zip_time_in_nbgraders_format(canvas_zip, tmp_path):
    course = tmp_path / "course"
    collect(canvas_zip, "conv2d", course)
    folder = course / "submitted" / "12345" / "conv2d"
    text = (folder / "timestamp.txt").read_text().strip()
    assert text == "2024-03-02 09:30:00.000000 UTC"
    assert parse_utc(text) == datetime.datetime(2024, 3, 2, 9, 30)            # how nbgrader reads it
    assert read_timestamp(folder) == (datetime.datetime(2024, 3, 2, 9, 30, tzinfo=datetime.timezone.utc), "")

    collect(canvas_zip, "conv2d", tmp_path / "budapest", timezone="Europe/Budapest")
    text = (tmp_path / "budapest" / "submitted" / "12345" / "conv2d" / "timestamp.txt").read_text().strip()
    assert text == "2024-03-02 08:30:00.000000 UTC"                           # CET is UTC+1 in March


def test_cli_lists_every_file_that_was_not_imported(canvas_zip, tmp_path, capsys):
    course = tmp_path / "course"
    assert main(["collect", "conv2d", "--zip", str(canvas_zip), "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert "3 notebook(s) collected" in out
    assert "22222" in out and "late" in out
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
    assert list(report.replaced) == ["12345"] and marker(course, "12345") == "# smithj third"
    assert marker(course, "22222") == "# doej late"                         # untouched
    shown = "\n".join(summary_lines(report, "conv2d", course))
    assert "12345" in shown and "replaced the notebook of 2024-03-02 09:30:00.000000 UTC" in shown


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
    assert sorted(e.student for e in report.collected) == ["33333", "S002", "jsmith"]
    assert report.not_in_roster == ["33333"]                                  # its Canvas user id


def test_oversized_files_and_zip_bombs_are_refused(tmp_path, capsys):
    archive = make_zip(tmp_path / "big.zip", [
        ("smithj_12345_67890_conv2d.ipynb", MARCH_1, notebook_bytes("ok")),
        ("doej_22222_70000_conv2d.ipynb", MARCH_1, b"{" + b" " * 5000 + b"}"),
        ("huge.bin", MARCH_1, b"\0" * 5000)])
    report = collect(archive, "conv2d", tmp_path / "course", max_file_bytes=4000)
    assert [e.student for e in report.collected] == ["12345"]
    assert sorted(name for name, _ in report.skipped) == ["doej_22222_70000_conv2d.ipynb", "huge.bin"]
    assert all("allowed per file" in why for _, why in report.skipped)
    assert not (tmp_path / "course" / "submitted" / "22222").exists()

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
    assert [e.student for e in report.collected] == ["22222"]
    assert report.skipped == [("smithj_12345_67890_conv2d.ipynb", "a symbolic link, not a file")]


def test_a_zip_without_notebooks_exits_1(tmp_path, capsys):
    archive = make_zip(tmp_path / "empty.zip", [("notes.txt", MARCH_1, b"x")])
    assert main(["collect", "conv2d", "--zip", str(archive), "--course", str(tmp_path / "c")]) == 1
    assert "0 notebook(s) collected" in capsys.readouterr().out


# ----------------------------------------------------------------------------- identity (issue 11, item 1)

OCT_7 = (2024, 10, 7, 12, 0, 0)
OCT_9 = (2024, 10, 9, 12, 0, 0)
OCT_10 = (2024, 10, 10, 18, 30, 0)


@pytest.fixture
def hungarian_zip(tmp_path) -> Path:
    """Canvas download: accented names, two students called Nagy Bence, a late resubmission."""
    return make_zip(tmp_path / "hungarian.zip", [
        ("kovácsanna_20001_7000101_conv2d.ipynb", OCT_7, notebook_bytes("anna")),
        ("nagybence_20002_7000102_conv2d.ipynb", OCT_7, notebook_bytes("bence 20002 first")),
        ("nagybence_late_20002_7000105_conv2d-1.ipynb", OCT_10, notebook_bytes("bence 20002 late")),
        ("nagybence_20012_7000103_conv2d.ipynb", OCT_9, notebook_bytes("bence 20012")),
        ("szőkeörs_20004_7000104_conv2d.ipynb", OCT_9, notebook_bytes("örs")),
    ])


def test_canvas_students_are_their_user_ids_and_names_are_unicode(hungarian_zip, tmp_path):
    course = tmp_path / "course"
    report = collect(hungarian_zip, "conv2d", course)

    assert {e.student: e.lms_name for e in report.collected} == {
        "20001": "kovácsanna", "20002": "nagybence", "20012": "nagybence", "20004": "szőkeörs"}
    assert marker(course, "20001") == "# anna"
    assert marker(course, "20002") == "# bence 20002 late"       # the later resubmission of the same user
    assert marker(course, "20012") == "# bence 20012"            # same name, another student: kept apart
    assert [(old.name, new.name) for old, new in report.superseded] == [
        ("nagybence_20002_7000102_conv2d.ipynb", "nagybence_late_20002_7000105_conv2d-1.ipynb")]
    assert {e.student for e in report.collected if e.late} == {"20002"}
    assert not report.unmatched and not report.skipped
    assert not (course / "submitted" / ".unmatched").exists()


def test_id_format_sortable_name_userid(hungarian_zip, tmp_path, capsys):
    course = tmp_path / "course"
    assert main(["collect", "conv2d", "--zip", str(hungarian_zip), "--course", str(course),
                 "--id-format", "sortable-name_userid"]) == 0
    assert sorted(p.name for p in (course / "submitted").iterdir()) == [
        "kovácsanna_20001", "nagybence_20002", "nagybence_20012", "szőkeörs_20004"]
    assert "late" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown id format"):
        collect(hungarian_zip, "conv2d", course, id_format="login")


def test_a_utf8_name_without_the_zips_utf8_flag_is_still_read(tmp_path):
    path = make_zip(tmp_path / "noflag.zip", [("kovXXcsanna_20001_7000101_conv2d.ipynb", OCT_7, notebook_bytes("a"))])
    # the same bytes as "kovácsanna" in UTF-8, with the zip's UTF-8 flag unset (as some zip tools write them)
    path.write_bytes(path.read_bytes().replace(b"kovXXcsanna", "kovácsanna".encode()))
    assert zipfile.ZipFile(path).infolist()[0].filename != "kovácsanna_20001_7000101_conv2d.ipynb"  # read as cp437
    report = collect(path, "conv2d", tmp_path / "course")
    assert [(e.student, e.lms_name) for e in report.collected] == [("20001", "kovácsanna")]


def test_moodle_students_with_one_name_are_two_students(tmp_path):
    archive = make_zip(tmp_path / "moodle.zip", [
        ("Nagy Bence_101_assignsubmission_file_/conv2d.ipynb", OCT_7, notebook_bytes("101")),
        ("Nagy Bence_102_assignsubmission_file_/conv2d.ipynb", OCT_9, notebook_bytes("102"))])
    course = tmp_path / "course"
    report = collect(archive, "conv2d", course)
    assert sorted(e.student for e in report.collected) == ["101", "102"] and not report.superseded
    assert marker(course, "101") == "# 101" and marker(course, "102") == "# 102"
    collect(archive, "conv2d", tmp_path / "named", id_format="sortable-name_userid")
    assert sorted(p.name for p in (tmp_path / "named" / "submitted").iterdir()) == ["nagybence_101", "nagybence_102"]


def test_a_canvas_roster_maps_user_ids_never_names(hungarian_zip, tmp_path):
    roster = tmp_path / "gradebook.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                      "    Points Possible,,,,\n"
                      '"Kovács, Anna",20001,H001,kanna,A\n'
                      '"Nagy, Bence",20002,H002,nbence,A\n'
                      '"Nagy, Bence",20012,H012,nbence2,B\n', encoding="utf-8")
    course = tmp_path / "course"
    report = collect(hungarian_zip, "conv2d", course, roster=roster)
    assert sorted(e.student for e in report.collected) == ["20004", "kanna", "nbence", "nbence2"]
    assert marker(course, "nbence") == "# bence 20002 late" and marker(course, "nbence2") == "# bence 20012"
    assert report.not_in_roster == ["20004"]


def test_a_name_in_the_roster_maps_one_user_and_an_id_row_wins(tmp_path):
    archive = make_zip(tmp_path / "moodle.zip", [
        ("Nagy Bence_101_assignsubmission_file_/conv2d.ipynb", OCT_7, notebook_bytes("101")),
        ("Nagy Bence_102_assignsubmission_file_/conv2d.ipynb", OCT_9, notebook_bytes("102"))])
    roster = tmp_path / "roster.csv"
    roster.write_text("lms_id,student_id\n102,nb2\nnagy bence,nb1\n")
    course = tmp_path / "course"
    report = collect(archive, "conv2d", course, roster=roster)
    assert {e.student: e.matched_by for e in report.collected} == {"nb1": "name 'Nagy Bence'", "nb2": "user id 102"}
    assert marker(course, "nb1") == "# 101" and marker(course, "nb2") == "# 102"


@pytest.mark.parametrize("rows", ["nagybence,nbence\n", "20002,nbence\n20012,nbence\n"])
def test_a_roster_that_merges_two_users_is_refused_naming_both_files(hungarian_zip, tmp_path, capsys, rows):
    roster = tmp_path / "roster.csv"
    roster.write_text("lms_id,student_id\n" + rows)
    course = tmp_path / "course"
    with pytest.raises(CollectError, match="nagybence_20002_7000102_conv2d.ipynb") as refused:
        collect(hungarian_zip, "conv2d", course, roster=roster)
    assert "nagybence_20012_7000103_conv2d.ipynb" in str(refused.value) and "'nbence'" in str(refused.value)
    assert str(roster) in str(refused.value)
    assert not course.exists()                                                # nothing written

    assert main(["collect", "conv2d", "--zip", str(hungarian_zip), "--course", str(course),
                 "--roster", str(roster)]) == 2
    err = capsys.readouterr().err
    assert "user 20002" in err and "user 20012" in err


# ----------------------------------------------------------------------------- time (issue 11, item 2)

def test_an_older_zip_after_a_newer_one_changes_nothing(tmp_path, capsys):
    newer = make_zip(tmp_path / "newer.zip", [("nagybence_20002_7000105_conv2d.ipynb", OCT_10, notebook_bytes("new"))])
    older = make_zip(tmp_path / "older.zip", [
        ("nagybence_20002_7000102_conv2d.ipynb", OCT_7, notebook_bytes("old")),
        ("kovácsanna_20001_7000101_conv2d.ipynb", OCT_7, notebook_bytes("anna"))])
    course = tmp_path / "course"
    collect(newer, "conv2d", course)
    folder = course / "submitted" / "20002" / "conv2d"

    report = collect(older, "conv2d", course)
    assert [e.student for e in report.collected] == ["20001"] and not report.replaced
    assert [(e.student, why) for e, why in report.older] == [
        ("20002", "older than the collected notebook (2024-10-10 18:30:00.000000 UTC): not written")]
    assert marker(course, "20002") == "# new"
    assert (folder / "timestamp.txt").read_text().strip() == "2024-10-10 18:30:00.000000 UTC"

    assert main(["collect", "conv2d", "--zip", str(older), "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert "nothing changed" in out and "older than the collected notebook" in out
    assert "replaced" not in out and marker(course, "20002") == "# new"


def test_collecting_the_same_zip_twice_is_a_no_op_that_says_so(canvas_zip, tmp_path, capsys):
    course = tmp_path / "course"
    assert main(["collect", "conv2d", "--zip", str(canvas_zip), "--course", str(course)]) == 0
    first = {p: (course / p).read_bytes() for p in files_under(course)}
    capsys.readouterr()

    report = collect(canvas_zip, "conv2d", course)
    assert not report.collected and not report.unmatched and not report.older and not report.changed
    assert sorted(e.student for e in report.unchanged) == ["12345", "22222", "33333"]
    assert sorted(target.name for _, target in report.unmatched_kept) == [
        "README.txt", "escaped_44444_70004_conv2d.ipynb"]

    assert main(["collect", "conv2d", "--zip", str(canvas_zip), "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert "0 notebook(s) collected" in out and "nothing changed" in out
    assert "2 file(s) matching no LMS naming scheme are already in" in out and "not copied again" in out
    assert "README.txt" not in out                                            # reported once, the first time
    assert {p: (course / p).read_bytes() for p in files_under(course)} == first  # no new copy, nothing rewritten


def test_an_unmatched_file_with_new_bytes_is_still_copied(tmp_path):
    course = tmp_path / "course"
    collect(make_zip(tmp_path / "a.zip", [("README.txt", OCT_7, b"one")]), "conv2d", course)
    report = collect(make_zip(tmp_path / "b.zip", [("README.txt", OCT_9, b"two")]), "conv2d", course)
    assert [target.name for _, target, _ in report.unmatched] == ["README-2.txt"]
    assert files_under(course / "submitted" / ".unmatched") == {"README.txt", "README-2.txt"}


def test_the_resubmission_number_breaks_a_tie_of_times_across_zips(tmp_path):
    course = tmp_path / "course"
    first = make_zip(tmp_path / "1.zip", [("nagybence_20002_7000102_conv2d-1.ipynb", OCT_9, notebook_bytes("-1"))])
    second = make_zip(tmp_path / "2.zip", [("nagybence_20002_7000103_conv2d-2.ipynb", OCT_9, notebook_bytes("-2"))])
    collect(first, "conv2d", course)
    assert list(collect(second, "conv2d", course).replaced) == ["20002"] and marker(course, "20002") == "# -2"

    report = collect(first, "conv2d", course)
    assert [why for _, why in report.older] == [
        "older than the collected notebook (2024-10-09 12:00:00.000000 UTC, resubmission -2): not written"]
    same_time = make_zip(tmp_path / "3.zip", [("nagybence_20002_7000104_conv2d-2.ipynb", OCT_9, notebook_bytes("?"))])
    [(_, why)] = collect(same_time, "conv2d", course).older
    assert why.startswith("as new as the collected notebook") and marker(course, "20002") == "# -2"


def test_a_notebook_without_a_timestamp_is_never_replaced(tmp_path):
    course = tmp_path / "course"
    folder = course / "submitted" / "20002" / "conv2d"
    folder.mkdir(parents=True)
    (folder / "conv2d.ipynb").write_bytes(notebook_bytes("placed by hand"))
    report = collect(make_zip(tmp_path / "a.zip", [("nagybence_20002_7_conv2d.ipynb", OCT_9, notebook_bytes("lms"))]),
                     "conv2d", course)
    [(_, why)] = report.older
    assert "without a usable timestamp.txt" in why and marker(course, "20002") == "# placed by hand"


def test_the_same_notebook_submitted_later_moves_its_time_forward(tmp_path):
    course = tmp_path / "course"
    same = notebook_bytes("unchanged work")
    collect(make_zip(tmp_path / "a.zip", [("kovácsanna_20001_1_conv2d.ipynb", OCT_7, same)]), "conv2d", course)
    report = collect(make_zip(tmp_path / "b.zip", [("kovácsanna_late_20001_2_conv2d.ipynb", OCT_10, same)]),
                     "conv2d", course)
    assert [e.late for e in report.collected] == [True]
    assert report.replaced == {"20001": "the same notebook as collected at 2024-10-07 12:00:00.000000 UTC, "
                                        "now with its later time"}
    assert read_timestamp(course / "submitted" / "20001" / "conv2d")[0] == datetime.datetime(
        2024, 10, 10, 18, 30, tzinfo=datetime.timezone.utc)


def test_a_student_with_no_notebook_keeps_their_file_and_is_graded_ungradable(tmp_path, capsys):
    from grader.assignment import Assignment
    from grader.autograde import find_jobs

    download = make_zip(tmp_path / "canvas.zip", [
        ("horvathz_55555_70010_conv2d.py", MARCH_1, b"def conv2d(x, w, b):\n    return x\n"),
        ("horvathz_55555_70011_timestamp.txt", MARCH_1, b"2099-01-01 00:00:00 UTC"),   # never a bookkeeping file
        ("smithj_12345_67890_conv2d.ipynb", MARCH_1, notebook_bytes("smithj")),
        ("smithj_12345_67891_notes.pdf", MARCH_1, b"%PDF-1.4"),                        # has a notebook: listed only
    ])
    course = tmp_path / "course"
    assert main(["collect", "conv2d", "--zip", str(download), "--course", str(course)]) == 0
    assert "2 file(s) kept in the student's folder" in capsys.readouterr().out
    assert files_under(course / "submitted" / "55555") == {"conv2d/conv2d.py", "conv2d/uploaded-timestamp.txt"}
    assert "notes.pdf" not in str(files_under(course / "submitted" / "12345"))
    jobs = {job.student: job for job, _ in find_jobs(course, Assignment.find("conv2d"), confined=True)}
    assert str(jobs["55555"].problem).startswith("no conv2d.ipynb in the submission (found conv2d.py, "
                                            "uploaded-timestamp.txt)")
    assert jobs["55555"].submitted_at is None and jobs["12345"].problem == ""
