"""Late penalties by nbgrader's own ``LateSubmissionPlugin``, so ``nbgrader export`` and ours agree.

nbgrader's plugin knows ``none`` and ``zero``; :class:`CoursePenalty` adds
``per_day`` (a percentage of the score per started day late) the way nbgrader
documents custom plugins.  A course can hand it to nbgrader too::

    c.AssignLatePenalties.plugin_class = "grader.late.CoursePenalty"
    c.CoursePenalty.penalty_method = "per_day"
    c.CoursePenalty.percent_per_day = 10.0
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Enum, Float

from grader.course import LATE_METHODS, LatePolicy

SECONDS_PER_DAY = 86400


class CoursePenalty(LateSubmissionPlugin):
    """nbgrader's plugin with one more method: ``per_day``."""

    penalty_method = Enum(LATE_METHODS, default_value="none",
                          help="none, zero (nbgrader's), or per_day: percent_per_day of the score per started day "
                               "late").tag(config=True)
    percent_per_day = Float(10.0, help="with per_day: percent of the score lost per started day late").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        if self.penalty_method != "per_day":
            return super().late_submission_penalty(student_id, score, total_seconds_late)
        days = math.ceil(total_seconds_late / SECONDS_PER_DAY)
        return score * min(1.0, days * self.percent_per_day / 100.0)


def penalty(policy: LatePolicy, student: str, score: float, seconds_late: float) -> float:
    """The points a notebook scoring ``score`` loses for being ``seconds_late`` late under ``policy``.

    The plugin is asked only for late work, and its answer is kept between 0 and the
    score, exactly as nbgrader's ``AssignLatePenalties`` preprocessor does.
    """
    if seconds_late <= 0:
        return 0.0
    plugin = CoursePenalty(penalty_method=policy.method, percent_per_day=policy.percent_per_day)
    found = plugin.late_submission_penalty(student, score, seconds_late)
    return 0.0 if found is None else min(max(0.0, float(found)), float(score))


def late_text(seconds: float) -> str:
    """A lateness for people: '2 d 3 h', '3 h 5 min', '40 s'."""
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min")] if seconds >= 60 else [(rest, "s")]
    return " ".join(f"{value} {unit}" for value, unit in parts if value)[:40] or "0 s"
