"""Class statistics of one assignment as a single self-contained HTML page.

Read from the result documents under ``autograded/*/NAME/result.json`` only (the
autograder's scores; manual grades live in the gradebook and the export).  The
page holds summary numbers, a score histogram, the failure rate of every hidden
check (which mistakes are common), the run-time distribution and the lists of
ungradable submissions and harness errors with their reasons.  Plots are
matplotlib (Agg) PNGs inlined as base64 ``data:`` URIs: the page loads nothing
from anywhere, so it can be mailed or attached to the LMS as it is.

The page is a TA's: it is written in the course's language (``language`` in grader.toml), or in
the one asked for. Its texts, plots, check titles and outcome words are in that language, and so
are the checks' messages and the reasons, from the messages the results keep.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import io
import statistics
from pathlib import Path

import jinja2
from babel.numbers import format_decimal, format_percent

from grader import gradebook, i18n, results, staleness
from grader.course import Course, as_course
from grader.feedback import duration_text, say, template_functions, title_text
from grader.i18n import SOURCE_LANGUAGE, Message, _, stored_message

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined)
PASSED = "passed"


@dataclasses.dataclass
class CheckStats:
    """How one hidden check went across the class."""

    name: str
    title: str
    cell: str
    points: float
    runs: int = 0
    outcomes: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    messages: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    said: dict[str, Message | str] = dataclasses.field(default_factory=dict)  # English text -> its stored message

    @property
    def failures(self) -> int:
        return self.runs - self.outcomes[PASSED]

    @property
    def failure_rate(self) -> float:
        return self.failures / self.runs if self.runs else 0.0

    @property
    def top_message(self) -> tuple[str, int]:
        return self.messages.most_common(1)[0] if self.messages else ("", 0)

    def top_message_text(self, language: str) -> str:
        """The most common message in ``language`` (as the first result that said it stored it)."""
        english = self.top_message[0]
        return say(english if language == SOURCE_LANGUAGE else self.said.get(english, english), language, english)


@dataclasses.dataclass
class ClassReport:
    """Everything the page shows."""

    assignment: str
    results: list[dict]
    pending: list[str]
    checks: list[CheckStats]
    missing: list[str] = dataclasses.field(default_factory=list)

    def by_status(self, status: str) -> list[dict]:
        return [r for r in self.results if r.get("status") == status]

    @property
    def scores(self) -> list[float]:
        """Scores of the graded and the ungradable submissions (an ungradable one scores 0)."""
        return [float(r.get("score", 0.0)) for r in self.results if r.get("status") in ("graded", "ungradable")]

    @property
    def max_score(self) -> float:
        return max((float(r.get("max_score", 0.0)) for r in self.results), default=0.0)

    @property
    def run_times(self) -> list[float]:
        times = []
        for r in self.results:
            value = (r.get("timings") or {}).get("total_s")
            if isinstance(value, (int, float)):
                times.append(float(value))
        return times

    @property
    def late(self) -> list[dict]:
        """The results of late submissions, latest first."""
        late = [r for r in self.results if isinstance(r.get("seconds_late"), (int, float)) and r["seconds_late"] > 0]
        return sorted(late, key=lambda r: -r["seconds_late"])

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """(student, warning) of every result that carries warnings for the TA (e.g. a bad timestamp.txt)."""
        return [(r["student"], warning) for r in self.results for warning in r.get("warnings", [])]

    def summary(self) -> dict:
        scores, top = self.scores, self.max_score
        return {
            "n": len(self.results), "graded": len(self.by_status("graded")),
            "ungradable": len(self.by_status("ungradable")), "error": len(self.by_status("error")),
            "stale": len(self.by_status("stale")),
            "pending": len(self.pending), "missing": len(self.missing), "late": len(self.late),
            "scored": len(scores), "max_score": top,
            "mean": statistics.fmean(scores) if scores else None,
            "median": statistics.median(scores) if scores else None,
            "full_marks": sum(1 for s in scores if top and abs(s - top) < 1e-9),
            "zero": sum(1 for s in scores if s == 0),
            "median_run_s": statistics.median(self.run_times) if self.run_times else None,
        }


def load(course: Path | Course, assignment: str, db_url: str | None = None) -> ClassReport:
    """The results of ``assignment`` in ``course``; unreadable or malformed ones count as errors, never vanish.

    Results are read cleaned and validated (:func:`grader.results.read`), so no text or
    number a student controls can break the page; students are named by their folders.
    Submissions without a result are ``pending``; roster students with neither are ``missing``.
    """
    settings = as_course(course)
    course = settings.root
    found, have = [], set()
    final = gradebook.course_scores(settings, assignment, db_url)  # manual grades count, as in the exports
    autograded = course / "autograded"
    for path in sorted(autograded.glob(f"*/{assignment}/{results.RESULT_FILE}")) if autograded.is_dir() else []:
        folder = path.parent.parent.name
        doc = results.read(path)
        if doc is None:
            doc = results.new_result(results.clean_text(folder), assignment, "error",
                                     f"unreadable result file {path.name} (not a valid result document)")
        found.append(gradebook.with_final_scores(staleness.current(course, folder, assignment, doc),
                                                 final.get(folder)))
        have.add(folder)
    submitted = course / "submitted"
    pending = sorted(results.clean_text(p.parent.name) for p in submitted.glob(f"*/{assignment}") if p.is_dir()
                     and p.parent.name not in have and not p.parent.name.startswith(".")) if submitted.is_dir() else []
    missing = sorted({row.student_id for row in settings.roster} - have - set(pending))
    checks: dict[str, CheckStats] = {}
    for doc in found:
        if doc["status"] == "graded":
            _count_checks(checks, doc["checks"])
    return ClassReport(assignment, sorted(found, key=lambda r: r["student"]), pending, list(checks.values()), missing)


def _count_checks(checks: dict[str, CheckStats], items: list[dict]) -> None:
    """Add one graded result's check outcomes (validated: name, outcome, score and points) to ``checks``."""
    for item in items:
        name = item["name"]
        stats = checks.setdefault(name, CheckStats(name, str(item.get("title", "")), str(item.get("cell", "")),
                                                   float(item["points"])))
        stats.runs += 1
        outcome = item["outcome"]
        stats.outcomes[outcome] += 1
        if outcome != PASSED and item.get("message"):
            stats.messages[str(item["message"])] += 1
            stats.said.setdefault(str(item["message"]), stored_message(item))


# ----------------------------------------------------------------------------- plots

def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _number(value: float, language: str, decimals: int | None = None) -> str:
    """``value`` written the way ``language`` writes numbers; with exactly ``decimals`` decimals when given."""
    if decimals is None:
        return i18n.format_number(value, language)
    try:
        return format_decimal(value, format="#,##0." + "0" * decimals if decimals else "#,##0", locale=language)
    except ArithmeticError:  # past the digits Babel writes out (decimal.InvalidOperation)
        return i18n.format_number(value, language)


def plots(report: ClassReport, language: str = SOURCE_LANGUAGE) -> dict[str, str]:
    """name -> base64 PNG, its texts in ``language``; a plot without data is left out (the page says so)."""
    from matplotlib.figure import Figure  # no pyplot: the Agg canvas, no global backend state
    from matplotlib.ticker import MaxNLocator

    def say_(message: Message) -> str:
        return message.render(language)

    out = {}
    scores, top = report.scores, report.max_score
    if scores:
        figure = Figure(figsize=(7, 3.2))
        axes = figure.subplots()
        if top and top <= 40 and float(top).is_integer():
            bins = [b - 0.5 for b in range(int(top) + 2)]
        else:
            bins = 20
        axes.hist(scores, bins=bins, color="#4c78a8", edgecolor="white")
        summary = report.summary()
        axes.axvline(summary["mean"], color="#e45756", linestyle="--",
                     label=say_(_("mean {value}", value=_number(summary["mean"], language, 2))))
        axes.axvline(summary["median"], color="#54a24b", linestyle=":",
                     label=say_(_("median {value}", value=summary["median"])))
        axes.set_xlabel(say_(_("score (of {max_score})", max_score=top)))
        axes.set_ylabel(say_(_("submissions")))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(say_(_("Scores (graded and ungradable submissions)")))
        axes.legend(frameon=False)
        out["scores"] = _png(figure)
    if report.checks:
        ranked = sorted(report.checks, key=lambda c: (-c.failure_rate, c.name))[::-1]  # barh draws bottom-up
        figure = Figure(figsize=(7, 0.9 + 0.32 * len(ranked)))
        axes = figure.subplots()
        rates = [100 * c.failure_rate for c in ranked]
        bars = axes.barh([c.name for c in ranked], rates, color="#f58518")
        for bar, check in zip(bars, ranked):
            axes.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2,
                      f"{format_percent(check.failure_rate, locale=language)} ({check.failures}/{check.runs})",
                      va="center", fontsize=8)
        axes.set_xlim(0, 115)
        axes.set_xlabel(say_(_("graded submissions failing the check (%)")))
        axes.set_title(say_(_("Hidden checks, most failed on top")))
        out["checks"] = _png(figure)
    times = report.run_times
    if times:
        figure = Figure(figsize=(7, 3.0))
        axes = figure.subplots()
        axes.hist(times, bins=min(20, max(5, len(times))), color="#72b7b2", edgecolor="white")
        axes.set_xlabel(say_(_("grading time per submission (s, timings.total_s)")))
        axes.set_ylabel(say_(_("submissions")))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(say_(_("Run time")))
        out["times"] = _png(figure)
    return out


# ----------------------------------------------------------------------------- the page

def render(report: ClassReport, language: str = SOURCE_LANGUAGE) -> str:
    """The HTML page of ``report``, in ``language``."""
    ranked = sorted(report.checks, key=lambda c: (-c.failure_rate, c.name))
    return _ENV.get_template("report.html").render(
        r=report, s=report.summary(), plots=plots(report, language), checks=ranked,
        ungradable=report.by_status("ungradable"), errors=report.by_status("error"), stale=report.by_status("stale"),
        generated_at=results.now(), **template_functions(language),
        late_text=lambda seconds: duration_text(seconds, language),
        fixed=lambda value, decimals: _number(value, language, decimals),
        percent=lambda share: format_percent(share, locale=language),
        title=lambda text: title_text(text, language),
        reason=lambda doc: say(stored_message(doc, "reason", language), language, str(doc.get("reason", ""))))


def write_report(course: Path | Course, assignment: str, html_path: Path, db_url: str | None = None,
                 language: str | None = None) -> ClassReport:
    """Write the page of ``assignment`` to ``html_path``, in ``language`` (default: the course's); returns it."""
    settings = as_course(course)
    report = load(settings, assignment, db_url)
    html = render(report, i18n.choose_language(language, settings.config.language))
    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(html, encoding="utf-8")
    return report
