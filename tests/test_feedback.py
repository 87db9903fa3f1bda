"""Feedback pages: what a student may see, escaped, and nothing else; one bad result never stops the others."""

import json
import os

from grader.cli import main
from grader.feedback import render, write_feedback
from grader.results import MAX_TEXT_CHARS, new_result, write_atomic


def result(**fields):
    check = {"name": "conv2d_adds_bias_per_filter", "title": "The bias is added once per filter",
             "cell": "conv2d_tests", "points": 1.0, "score": 0.0, "outcome": "failed",
             "message": "the result differs at 3 of 12 positions", "detail": "Traceback: hidden input x=[1, 2]",
             "seconds": 0.01}
    return new_result("alice", "conv2d", "graded", score=9.0, max_score=10.0, checks=[check],
                      cells={"conv2d_tests": {"score": 5.0, "max_score": 6.0}},
                      sandbox={"confined": True}, notebook_sha256="ab" * 32, **fields)


def test_page_shows_scores_outcomes_and_messages_but_not_details():
    page = render(result())
    assert "9 / 10" in page and "The bias is added once per filter" in page
    assert "differs at 3 of 12 positions" in page
    assert "hidden input" not in page and "Traceback" not in page


def test_the_ta_only_measurements_are_not_on_the_page():
    doc = result()
    doc["checks"][0]["measured"] = {"hidden_iou_margin": 0.734519, "loss_gap": None}
    page = render(doc)
    assert "The bias is added once per filter" in page and "differs at 3 of 12 positions" in page  # the row is there
    assert "hidden_iou_margin" not in page and "734519" not in page and "loss_gap" not in page
    assert "measured" not in page.lower()


def test_student_controlled_text_is_escaped():
    doc = result()
    doc["checks"][0]["message"] = "conv2d raised ValueError: <script>alert(1)</script>"
    page = render(doc)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_ungradable_page_gives_the_reason(tmp_path):
    doc = new_result("bob", "conv2d", "ungradable", "the file is not valid JSON", max_score=10.0)
    write_atomic(tmp_path / "autograded" / "bob" / "conv2d" / "result.json", doc)
    [page], problems = write_feedback(tmp_path, "conv2d")
    assert problems == []
    assert page == tmp_path / "feedback" / "bob" / "conv2d" / "conv2d.html"
    assert "could not be graded: the file is not valid JSON" in page.read_text()


HOSTILE = "\udcff lone surrogate, NUL \x00, <script>alert(1)</script> " + "x" * 100_000


def store_raw(course, folder: str, text: str) -> None:
    path = course / "autograded" / folder / "conv2d" / "result.json"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")


def test_hostile_results_on_disk_never_stop_the_other_pages(tmp_path):
    """Surrogates, NUL, HTML, long text and non-finite numbers in result.json files written by anyone."""
    hostile = result(reason=HOSTILE)
    hostile["checks"][0].update(message=HOSTILE, title=HOSTILE, cell="\ud800")
    hostile["visible_tests"] = [{"cell": HOSTILE, "passed": "yes", "error": HOSTILE}]
    hostile["sandbox"], hostile["timings"]["total_s"] = {}, float("inf")
    del hostile["graded_at"]
    store_raw(tmp_path, "amy", json.dumps(dict(hostile, student=HOSTILE)))
    store_raw(tmp_path, os.fsdecode(b"b\xffob"), json.dumps(dict(result(), student=os.fsdecode(b"b\xffob"))))
    store_raw(tmp_path, "cid", json.dumps(dict(result(), score=float("nan"))))
    store_raw(tmp_path, "dan", json.dumps(result())[:-30])
    store_raw(tmp_path, "eve", json.dumps([result()]))
    write_atomic(tmp_path / "autograded" / "zed" / "conv2d" / "result.json", dict(result(), student="zed"))
    pages, problems = write_feedback(tmp_path, "conv2d")
    assert [p.parent.parent.name for p in pages] == ["amy", os.fsdecode(b"b\xffob"), "zed"]
    assert [p.split(":")[0] for p in problems] == ["cid", "dan", "eve"]
    page = pages[0].read_bytes().decode("utf-8")  # strict UTF-8
    assert "<script>" not in page and "\x00" not in page and "\ufffd lone surrogate" in page
    assert len(page) < 6 * MAX_TEXT_CHARS + 5000 and "x" * MAX_TEXT_CHARS not in page
    assert "b\ufffdob" in pages[1].read_text(encoding="utf-8")


def test_render_survives_surrogates_in_memory():
    doc = result()
    doc["checks"][0]["message"] = "conv2d raised ValueError: \udcff"
    assert "\ufffd" in render(doc).encode("utf-8").decode("utf-8")


def test_cli_reports_the_bad_result_and_writes_the_others(tmp_path, capsys):
    store_raw(tmp_path, "amy", "{ half written")
    write_atomic(tmp_path / "autograded" / "bob" / "conv2d" / "result.json", dict(result(), student="bob"))
    assert main(["feedback", "conv2d", "--course", str(tmp_path)]) == 1
    assert (tmp_path / "feedback" / "bob" / "conv2d" / "conv2d.html").is_file()
    assert "no page for amy" in capsys.readouterr().err


def test_feedback_of_a_failing_variant_names_the_smallest_failing_case(tmp_path):
    """A real padding_stride notebook with the `/` instead of `//` mistake, graded in the sandbox."""
    from grader.assignment import Assignment
    from grader.grade import GradingJob, grade
    from grader.sampleclass import submission, write_submission

    assignment = Assignment.find("padding_stride")
    variant = next(v for v in assignment.variants() if v.name == "true_division")
    path = write_submission(tmp_path, "student", "padding_stride", submission(assignment, variant))
    page = render(grade(GradingJob("student", "padding_stride", str(path), str(assignment.root.parent))))
    assert "fails for " in page and "stride=" in page


def test_manual_grades_and_comments_from_the_gradebook_reach_the_page_and_the_report(tmp_path):
    from grader.assignment import Assignment
    from grader.autograde import autograde
    from grader.cluster import client_factory
    from grader.export import rows
    from grader.gradebook import course_db_url, open_gradebook
    from grader.report import load
    from grader.sampleclass import submission, write_submission

    conv2d = Assignment.find("conv2d")
    write_submission(tmp_path, "ada", "conv2d", submission(conv2d, None))
    autograde(tmp_path, conv2d, client_factory=client_factory(workers=1), progress=False)
    with open_gradebook(course_db_url(tmp_path)) as gb:  # what a TA does in formgrader
        grade = gb.find_grade("conv2d_tests", "conv2d", "conv2d", "ada")
        grade.manual_score = 2.5
        comment = gb.find_comment("conv2d_impl", "conv2d", "conv2d", "ada")
        comment.manual_comment = "Vectorise the loop over <filters> next time"
        gb.db.commit()
    [page], problems = write_feedback(tmp_path, "conv2d")
    text = page.read_text()
    total = rows(conv2d, tmp_path)[0]["score"]
    assert problems == [] and total == 6.5
    assert "6.5 / 10" in text and "2.5 / 6" in text and "graded by your TA" in text
    assert "Vectorise the loop over &lt;filters&gt; next time" in text
    assert load(tmp_path, "conv2d").scores == [6.5], "the report's total is the gradebook's too"


SECRET = b"5e" * 64  # nbgrader's own: 128 hex characters
STAMP = b"2026-11-20 09:30:00.000000 UTC"


def exchange_course(tmp_path, student="ada", **files):
    """A graded result for ``student`` and ``files`` (name -> bytes, or a function of the path) beside the notebook."""
    write_atomic(tmp_path / "autograded" / student / "conv2d" / "result.json", dict(result(), student=student))
    submitted = tmp_path / "submitted" / student / "conv2d"
    submitted.mkdir(parents=True)
    (submitted / "conv2d.ipynb").write_text("{}")
    for name, make in files.items():
        make(submitted / name) if callable(make) else (submitted / name).write_bytes(make)
    return submitted, tmp_path / "feedback" / student / "conv2d"


def test_the_page_keeps_the_timestamp_and_the_secret_for_nbgraders_exchange_and_nothing_else(tmp_path, caplog):
    submitted, folder = exchange_course(tmp_path, **{"submission_secret.txt": SECRET, "timestamp.txt": STAMP,
                                                     "notes.txt": b"not for the exchange"})
    [page], problems = write_feedback(tmp_path, "conv2d")
    assert problems == [] and page.parent == folder and not caplog.records
    assert sorted(p.name for p in folder.iterdir()) == ["conv2d.html", "submission_secret.txt", "timestamp.txt"]
    assert (folder / "submission_secret.txt").read_bytes() == SECRET
    assert (folder / "timestamp.txt").read_bytes() == STAMP


def test_a_symlinked_secret_is_not_followed_and_an_older_copy_is_removed(tmp_path, caplog):
    from grader.feedback import keep_exchange_files

    outside = tmp_path / "someone-elses-secret.txt"
    outside.write_bytes(SECRET)
    submitted, folder = exchange_course(tmp_path, **{"submission_secret.txt": SECRET, "timestamp.txt": STAMP})
    write_feedback(tmp_path, "conv2d")
    (submitted / "submission_secret.txt").unlink()
    (submitted / "submission_secret.txt").symlink_to(outside)
    [page], problems = write_feedback(tmp_path, "conv2d")
    assert problems == [] and page.is_file() and not (folder / "submission_secret.txt").exists()
    assert (folder / "timestamp.txt").read_bytes() == STAMP
    [record] = caplog.records
    assert "submission_secret.txt is a symbolic link" in record.getMessage()
    assert "--CourseDirectory.student_id_exclude=ada" in record.getMessage()
    assert keep_exchange_files(tmp_path, "ada", "conv2d") == [record.getMessage().removeprefix("note: ")]


def test_an_oversize_empty_or_binary_secret_is_refused_with_a_note(tmp_path):
    from grader.feedback import MAX_EXCHANGE_FILE_BYTES, keep_exchange_files

    cases = [(b"a" * (MAX_EXCHANGE_FILE_BYTES + 1), "over 1,024 bytes"), (b" \n", "not printable ASCII"),
             (b"\xff\x00" * 10, "not printable ASCII"), (b"\x1b[2J" + SECRET, "not printable ASCII"),
             (lambda p: p.mkdir(), "not a regular file")]
    for number, (secret, why) in enumerate(cases):
        course = tmp_path / str(number)
        _, folder = exchange_course(course, **{"submission_secret.txt": secret, "timestamp.txt": STAMP})
        folder.mkdir(parents=True)
        [note] = keep_exchange_files(course, "ada", "conv2d")
        assert note.startswith("ada: submission_secret.txt not kept") and why in note, note
        assert sorted(p.name for p in folder.iterdir()) == ["timestamp.txt"]


def test_missing_exchange_files_are_skipped(tmp_path):
    """No secret: not an exchange submission, nothing to say. A secret without its timestamp: a note."""
    from grader.feedback import keep_exchange_files

    _, plain = exchange_course(tmp_path / "plain", **{"timestamp.txt": STAMP})
    plain.mkdir(parents=True)
    assert keep_exchange_files(tmp_path / "plain", "ada", "conv2d") == []
    assert [p.name for p in plain.iterdir()] == ["timestamp.txt"]
    _, half = exchange_course(tmp_path / "half", **{"submission_secret.txt": SECRET})
    half.mkdir(parents=True)
    [note] = keep_exchange_files(tmp_path / "half", "ada", "conv2d")
    assert note.startswith("ada: timestamp.txt not kept beside the feedback page (it was not submitted)")
    assert [p.name for p in half.iterdir()] == ["submission_secret.txt"]
    _, empty = exchange_course(tmp_path / "empty")
    empty.mkdir(parents=True)
    assert keep_exchange_files(tmp_path / "empty", "ada", "conv2d") == [] and not list(empty.iterdir())


def failing(name, function="", cause="", message="", outcome="error", cell="conv2d_tests"):
    return {"name": name, "title": f"title of {name}", "cell": cell, "points": 1.0, "score": 0.0,
            "outcome": outcome, "message": message, "detail": "", "seconds": 0.01, "function": function,
            "cause": cause}


def test_the_checks_a_function_failed_the_same_way_share_one_message_and_keep_their_points():
    stub = "conv2d is not implemented yet (it raises NotImplementedError)"
    doc = result()
    doc["checks"] = [failing("a", "conv2d", "not_implemented", stub), failing("b", message="the result is wrong"),
                     failing("c", "conv2d", "not_implemented", stub),
                     failing("d", "conv2d", "", "conv2d raised IndexError; not shown"),
                     failing("e", "conv2d", "", "conv2d raised IndexError; not shown")]
    page = render(doc)
    assert page.count(stub) == 1 and page.count("conv2d raised IndexError") == 1
    assert page.count('rowspan="2"') == 2 and page.count("0 / 1") == 5
    order = [page.index(f"title of {name}") for name in "acbde"]
    assert order == sorted(order), "a group's checks are listed together, where its first check is"


def test_a_loop_is_one_line_for_the_timeout_and_the_checks_not_run_after_it():
    doc = result()
    doc["checks"] = [failing("a", "conv2d", "endless_loop", "conv2d did not finish within 10 s (an endless loop?)",
                             "timeout")]
    doc["checks"] += [failing(n, "conv2d", "endless_loop", "not run: conv2d did not finish within 10 s in an earlier "
                              "check", "not run") for n in "bc"]
    page = render(doc)
    assert page.count("did not finish") == 1 and 'rowspan="3"' in page
    assert "conv2d did not finish within 10 s (an endless loop?); the checks after it that call conv2d were not run" \
        in page
    assert page.count('class="not-run">not run<') == 2


def test_results_without_functions_keep_one_row_per_check():
    doc = result()
    doc["checks"] = [failing(n, message="conv2d raised ValueError") for n in "ab"]
    for check in doc["checks"]:
        del check["function"], check["cause"]
    page = render(doc)
    assert page.count("conv2d raised ValueError") == 2 and "rowspan" not in page


def test_the_page_names_the_cells_the_grader_dropped():
    doc = result(not_graded_cells=[{"position": 7, "defines": ["helper", "np"]}, {"position": 9, "defines": []}])
    page = render(doc)
    assert "Not graded: code cell 7 (defines helper and np) and code cell 9" in page
    assert "Code outside the solution cells is not graded" in page
    assert "Not graded" not in render(result())


def test_dropped_cells_from_a_result_file_are_checked_before_they_are_shown():
    doc = result(not_graded_cells=[{"position": 3, "defines": ["<script>", "ok_name", 5]}, {"position": True},
                                   {"position": -1}, "cell 4", {"position": 2.0}, {"position": 8, "defines": "x"}])
    page = render(doc)
    assert "Not graded: code cell 3 (defines ok_name) and code cell 8 (cells counted" in page and "<script>" not in page
    assert "Not graded" not in render(result(not_graded_cells={"position": 3}))


TITLES_HU = {"Keeps the shape of the input": "Megtartja az input alakját",
             "Adds the bias once per filter": "Filterenként egyszer adja hozzá a biast",
             "Stops on a 1x1 image": "Leáll egy 1x1-es képen",
             "Does not flip the kernel": "Nem tükrözi a kernelt"}
ENGLISH_FIXED = ["Hidden checks", "Part<", "Points<", "Outcome<", "What to fix", "Check<", "For your submission",
                 "after the due date", "taken off", "Not graded", "Code outside", "Move helper", "Visible tests",
                 "Graded", "feedback for", ">passed<", ">failed<", ">timeout<", ">not run<", "were not run",
                 "day", "hour", "minute", "November"]


def graded_hungarian_result(monkeypatch) -> dict:
    """A result as grading writes it for the Hungarian edition: its checks run by run_check, with their messages."""
    import gettext
    import types

    from grader import i18n
    from grader.checks.api import Check, CheckFailed
    from grader.checks.run import Session, run_check
    from grader.sandbox.errors import StudentTimeout

    real = i18n.translations

    class Titles(gettext.NullTranslations):  # the checks' catalog, as a translator fills it in
        def gettext(self, message):
            return TITLES_HU.get(message) or super().gettext(message)

    def translations(language):
        if language != "hu":
            return real(language)
        titles = Titles()
        titles.add_fallback(real(language))
        return titles

    monkeypatch.setattr(i18n, "translations", translations)

    class Process:  # conv2d loops: the first call runs past its limit
        limits = types.SimpleNamespace(check_timeout_s=10.0)

        def call(self, name, args, kwargs, timeout):
            raise StudentTimeout(f"timed out after {timeout:g} s while calling {name}")

    def passes(student, rng):
        pass

    def wrong(student, rng):
        raise CheckFailed(i18n._("the result is not correct"))

    def calls(student, rng):
        student.call("conv2d", 1)

    checks = [Check(name, "conv2d_tests", 1.0, function, None, title)
              for name, function, title in [("shape", passes, "Keeps the shape of the input"),
                                            ("bias", wrong, "Adds the bias once per filter"),
                                            ("tiny", calls, "Stops on a 1x1 image"),
                                            ("no_flip", calls, "Does not flip the kernel")]]
    session = Session()
    outcomes = [run_check(check, Process(), 7, session) for check in checks]
    assert [o["outcome"] for o in outcomes] == ["passed", "failed", "timeout", "not run"]
    return new_result("ada", "conv2d", "graded", language="hu", score=1.5, max_score=4.0, checks=outcomes,
                      cells={"conv2d_tests": {"score": 1.5, "max_score": 4.0}}, sandbox={"confined": True},
                      notebook_sha256="ab" * 32, submitted_at="2026-11-20 09:30:00.000000 UTC", seconds_late=3700.0,
                      late_penalty=0.5, visible_tests=[{"cell": "conv2d_tests", "passed": True, "error": ""}],
                      not_graded_cells=[{"position": 7, "defines": ["helper"]}])


def test_a_hungarian_result_gets_a_page_all_in_hungarian(monkeypatch):
    from grader.i18n import Message

    doc = graded_hungarian_result(monkeypatch)
    page = render(doc)
    assert '<html lang="hu">' in page and "<h2>Rejtett ellenőrzések</h2>" in page
    assert all(title in page for title in TITLES_HU.values())
    assert not [title for title in TITLES_HU if title in page]
    wrong, loop = (Message.from_json(doc["checks"][i]["message_i18n"]).render("hu") for i in (1, 2))
    assert f"<td>{wrong}</td>" in page  # each check's message is its stored one, in Hungarian
    assert f"{loop}; az utána következő ellenőrzések, amelyek ezt hívják: conv2d, nem futottak le" in page
    assert 'class="passed">sikeres<' in page and 'class="not-run">nem futott le<' in page
    assert "1,5 / 4" in page and "2026. november 20. 9:30:00 UTC" in page and "1 óra és 1 perc" in page
    assert "0,5 pontot levontunk" in page and "Nem értékeltük:" in page
    assert not [text for text in ENGLISH_FIXED if text in page]
    assert "Project-Id-Version" not in page, "a passed check's empty message is not looked up (the catalog's header)"


def test_a_page_is_in_the_forced_language_else_the_results_else_the_courses(monkeypatch):
    doc = graded_hungarian_result(monkeypatch)
    assert '<html lang="en">' in render(doc, language="en") and "<h2>Hidden checks</h2>" in render(doc, language="en")
    del doc["language"]
    assert '<html lang="en">' in render(doc)
    assert "<h2>Rejtett ellenőrzések</h2>" in render(doc, course_language="hu")


def test_grader_feedback_writes_the_courses_language_for_results_without_one_and_language_forces_one(tmp_path):
    write_atomic(tmp_path / "autograded" / "bob" / "conv2d" / "result.json", dict(result(), student="bob"))
    write_atomic(tmp_path / "autograded" / "eve" / "conv2d" / "result.json", dict(result(), student="eve",
                                                                                   language="en"))
    (tmp_path / "grader.toml").write_text('language = "hu"\n')
    page = {student: tmp_path / "feedback" / student / "conv2d" / "conv2d.html" for student in ("bob", "eve")}
    assert main(["feedback", "conv2d", "--course", str(tmp_path)]) == 0
    assert '<html lang="hu">' in page["bob"].read_text() and '<html lang="en">' in page["eve"].read_text()
    assert main(["feedback", "conv2d", "--course", str(tmp_path), "--language", "hu"]) == 0
    assert '<html lang="hu">' in page["eve"].read_text()
