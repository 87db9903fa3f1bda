"""grader report: one self-contained HTML page, checked in a real headless Chromium.

The course is built from hand-written result documents (graded, ungradable,
harness error, an unreadable file, a submission not graded yet), the page is
rendered by ``grader report``, then loaded by Debian's ``chromium``: the
screenshot must show the plots (not a blank page) and the browser must log no
console error; ``--dump-dom`` must hold the three plots as inline images.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from grader.cli import main
from grader.report import load
from grader.results import new_result, write_atomic

CHECKS = [("shape", "returns the right shape", "conv2d_tests", 2.0),
          ("no_flip", "does not flip the kernel", "conv2d_tests", 2.0),
          ("bias", "adds the bias per filter", "conv2d_tests", 1.0),
          ("lecture", "the lecture's example", "correlate2d_tests", 1.0)]
# student -> the checks they fail
GRADED = {"anna": [], "bela": ["no_flip"], "csaba": ["no_flip", "bias"], "dora": ["no_flip"], "emil": [],
          "feri": ["shape", "no_flip", "bias", "lecture"], "gabi": ["bias"], "hugo": ["no_flip"]}
BROWSER_TIMEOUT_S = 60


def graded(student: str, failing: list[str], seconds: float) -> dict:
    checks = []
    for name, title, cell, points in CHECKS:
        outcome = ("timeout" if name == "shape" else "failed") if name in failing else "passed"
        checks.append({"name": name, "title": title, "cell": cell, "points": points,
                       "score": 0.0 if name in failing else points, "outcome": outcome,
                       "message": "the result differs from the expected values at 4 of 6 positions"
                       if name in failing else "", "detail": "Traceback: hidden", "seconds": 0.01})
    cells = {"conv2d_tests": {"score": sum(c["score"] for c in checks if c["cell"] == "conv2d_tests"),
                              "max_score": 5.0},
             "correlate2d_tests": {"score": sum(c["score"] for c in checks if c["cell"] == "correlate2d_tests"),
                                   "max_score": 1.0}}
    return new_result(student, "conv2d", "graded", score=sum(c["score"] for c in checks), max_score=6.0,
                      cells=cells, checks=checks, timings={"total_s": seconds, "student_s": seconds / 2},
                      sandbox={"confined": True}, submitted_at="2024-03-01 10:00:00.000000 UTC")


@pytest.fixture
def course(tmp_path) -> Path:
    course = tmp_path / "course"
    times = np.random.default_rng(7).uniform(1.5, 9.0, size=len(GRADED))
    docs = [graded(s, f, float(round(t, 2))) for (s, f), t in zip(GRADED.items(), times)]
    docs += [new_result("ivan", "conv2d", "ungradable", "invalid JSON: Expecting value: line 1 column 1",
                        max_score=6.0, timings={"total_s": 0.02}),
             new_result("juli", "conv2d", "ungradable", "the solution cell conv2d_impl is missing <deleted>",
                        max_score=6.0, timings={"total_s": 0.03}),
             new_result("kati", "conv2d", "error", "the sandbox crashed 3 times", max_score=6.0)]
    for doc in docs:
        write_atomic(course / "autograded" / doc["student"] / "conv2d" / "result.json", doc)
    broken = course / "autograded" / "laci" / "conv2d" / "result.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{ half written")
    (course / "submitted" / "mari" / "conv2d").mkdir(parents=True)
    (course / "submitted" / "mari" / "conv2d" / "conv2d.ipynb").write_text("{}")
    return course


@pytest.fixture
def page(course, tmp_path) -> Path:
    out = tmp_path / "report" / "conv2d.html"
    assert main(["report", "conv2d", "--html", str(out), "--course", str(course)]) == 0
    return out


def test_statistics(course):
    report = load(course, "conv2d")
    summary = report.summary()
    assert (summary["n"], summary["graded"], summary["ungradable"], summary["error"], summary["pending"]) == \
        (12, 8, 2, 2, 1)                                    # laci's unreadable result counts as an error
    scores = [6, 4, 3, 4, 6, 0, 5, 4, 0, 0]                  # 8 graded + 2 ungradable at 0
    assert summary["mean"] == pytest.approx(np.mean(scores)) and summary["median"] == np.median(scores)
    rates = {c.name: (c.failures, c.runs) for c in report.checks}
    assert rates == {"shape": (1, 8), "no_flip": (5, 8), "bias": (3, 8), "lecture": (1, 8)}
    assert report.pending == ["mari"] and report.missing == []


def test_page_is_self_contained(page):
    html = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)|url\(\s*["']?(https?:|//)|@import""", html, re.I)
    assert "<script" not in html
    images = re.findall(r'<img id="(plot-\w+)"[^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert [name for name, _ in images] == ["plot-scores", "plot-checks", "plot-times"]
    for _, data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    # the most failed check comes first in the table; reasons are listed and escaped
    table = html[html.index('id="checks"'):]
    assert table.index("no_flip") < table.index("bias") < table.index("lecture")
    assert "invalid JSON" in html and "&lt;deleted&gt;" in html and "the sandbox crashed 3 times" in html
    assert "unreadable result file" in html and "mari" in html
    assert "Traceback: hidden" not in html                  # a check's TA detail is not needed on the page


HOSTILE = "\udcff NUL \x00 <script>alert(1)</script> " + "x" * 100_000


def test_hostile_results_never_stop_the_report(tmp_path):
    """Surrogates, NUL, HTML, long text and non-finite numbers in result.json files; a non-UTF-8 folder."""
    course = tmp_path / "course"
    odd = os.fsdecode(b"b\xffob")
    hostile = graded("amy", ["bias"], 2.0)
    hostile["checks"][2].update(message=HOSTILE, title=HOSTILE, name="bias\ud800")
    hostile["timings"]["total_s"] = float("nan")
    docs = {"amy": hostile, odd: graded(odd, [], 1.0), "cid": dict(graded("cid", [], 1.0), score=float("inf")),
            "dan": dict(new_result("dan", "conv2d", "ungradable", HOSTILE, max_score=6.0), student=HOSTILE),
            "eve": graded("eve", [], 1.0)}
    for folder, doc in docs.items():
        path = course / "autograded" / folder / "conv2d" / "result.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(doc))
    (course / "submitted" / odd / "conv2d").mkdir(parents=True)
    (course / "submitted" / os.fsdecode(b"z\xfe") / "conv2d").mkdir(parents=True)
    out = tmp_path / "report.html"
    assert main(["report", "conv2d", "--html", str(out), "--course", str(course)]) == 0
    html = out.read_bytes().decode("utf-8")
    assert "<script>alert" not in html and "\x00" not in html and "x" * 20_001 not in html
    assert "z\ufffd" in html and "bias\ufffd" in html
    report = load(course, "conv2d")
    summary = report.summary()
    assert (summary["n"], summary["graded"], summary["ungradable"], summary["error"], summary["pending"]) == \
        (5, 3, 1, 1, 1)                                     # cid's infinite score makes it unreadable: an error
    assert report.pending == ["z\ufffd"]                    # b\xffob has a result: matched by its folder


def test_warnings_are_listed_for_the_ta(tmp_path):
    course = tmp_path / "course"
    doc = graded("amy", [], 1.0)
    doc["warnings"] = ["timestamp.txt ignored ('garbage' is not a time like 2000-01-01 00:00:00.000000 UTC)"]
    write_atomic(course / "autograded" / "amy" / "conv2d" / "result.json", doc)
    out = tmp_path / "report.html"
    assert main(["report", "conv2d", "--html", str(out), "--course", str(course)]) == 0
    table = out.read_text()[out.read_text().index('id="warnings"'):]
    assert "amy" in table and "timestamp.txt ignored (&#39;garbage&#39; is not a time" in table


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: CI must run `make system-deps`")
        pytest.skip("chromium is not installed (make system-deps installs it)")
    return found


def _browser(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"chromium-profile{len(list(tmp_path.glob('chromium-profile*')))}"
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra, page.resolve().as_uri()]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {BROWSER_TIMEOUT_S} s")


def _console_errors(stderr: str) -> list[str]:
    """Console messages and load failures in Chromium's log (the page has no script: any message is wrong)."""
    return [line for line in stderr.splitlines()
            if ":CONSOLE" in line or "Uncaught" in line or "Failed to load resource" in line or "net::ERR_" in line]


def test_console_errors_are_detected(tmp_path):
    """The browser checks below are not vacuous: a page with a script error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!doctype html><body><script>console.error("boom"); undefined_fn();</script></body>')
    errors = _console_errors(_browser(bad, tmp_path, "--dump-dom").stderr)
    assert any("boom" in line for line in errors) and any("Uncaught ReferenceError" in line for line in errors)


def test_report_renders_in_headless_chromium(page, tmp_path):
    from matplotlib.image import imread

    shot = tmp_path / "report.png"
    done = _browser(page, tmp_path, f"--screenshot={shot}", "--window-size=1200,1600")
    assert shot.is_file() and shot.stat().st_size > 20_000, done.stderr[-2000:]
    assert _console_errors(done.stderr) == [], done.stderr[-2000:]

    pixels = imread(shot)[..., :3]                          # float RGB in [0, 1]
    assert pixels.shape[:2] == (1600, 1200)
    assert pixels.std() > 0.05                              # not a blank page

    def share(rgb) -> float:                                # fraction of pixels within 0.08 of a plot colour
        return float(np.mean(np.all(np.abs(pixels - np.array(rgb) / 255) < 0.08, axis=-1)))

    assert share((0x4c, 0x78, 0xa8)) > 0.002                # the score histogram's bars
    assert share((0xf5, 0x85, 0x18)) > 0.002                # the hidden checks' failure-rate bars


def test_report_dom_in_headless_chromium(page, tmp_path):
    done = _browser(page, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert re.findall(r'<img id="(plot-\w+)"', dom) == ["plot-scores", "plot-checks", "plot-times"]
    assert re.search(r'<b id="n">12</b>', dom) and re.search(r'<b id="median">', dom)
    assert "invalid JSON" in dom
    assert _console_errors(done.stderr) == [], done.stderr[-2000:]
