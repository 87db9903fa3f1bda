"""Result documents: strict UTF-8 JSON on disk whatever text a student controls, validated when read back."""

import json
import math

import pytest

from grader import results
from grader.results import MAX_TEXT_CHARS, clean, new_result, read, write_atomic


def graded(**fields) -> dict:
    check = {"name": "shape", "title": "shape", "cell": "c", "points": 1.0, "score": 0.0, "outcome": "failed",
             "message": "m", "detail": "", "seconds": 0.1}
    return new_result("alice", "conv2d", "graded", score=0.0, max_score=1.0, checks=[check],
                      cells={"c": {"score": 0.0, "max_score": 1.0}}, **fields)


def strict_load(path):
    def refuse(name):
        raise ValueError(name)
    return json.loads(path.read_bytes().decode("utf-8"), parse_constant=refuse)


def test_clean_replaces_what_strict_writers_refuse():
    dirty = {"a\udcff": ["\ud800x", "nul\x00", "ok é 😀", float("nan"), float("inf"), -float("inf"), 1.5, 3, True,
                         None, ("t",)], "long": "x" * (MAX_TEXT_CHARS + 10)}
    assert clean(dirty) == {"a\ufffd": ["\ufffdx", "nul\ufffd", "ok é 😀", None, None, None, 1.5, 3, True, None, ["t"]],
                            "long": "x" * (MAX_TEXT_CHARS - 1) + "…"}


def test_written_results_are_strict_utf8_json_without_nan(tmp_path):
    doc = graded(reason="\udcff<script>\x00", timings={"total_s": float("nan")})
    doc["checks"][0]["message"] = "ValueError: \udcff" + "y" * 100_000
    doc["checks"][0]["seconds"] = float("inf")
    write_atomic(tmp_path / "result.json", doc)
    stored = strict_load(tmp_path / "result.json")
    assert stored["reason"] == "\ufffd<script>\ufffd" and stored["timings"]["total_s"] is None
    assert stored["checks"][0]["seconds"] is None and len(stored["checks"][0]["message"]) == MAX_TEXT_CHARS
    assert read(tmp_path / "result.json")["reason"] == "\ufffd<script>\ufffd"


def test_read_cleans_files_written_by_anyone(tmp_path):
    path = tmp_path / "result.json"
    path.write_text(json.dumps(graded(reason="\udcff", timings={"total_s": float("nan")})))
    doc = read(path)
    assert doc["reason"] == "\ufffd" and doc["timings"]["total_s"] is None


@pytest.mark.parametrize("damage", [
    lambda d: d.update(score=float("nan")),
    lambda d: d.update(max_score=float("inf")),
    lambda d: d.update(score=True),
    lambda d: d.update(reason=None),
    lambda d: d.update(warnings="x"),
    lambda d: d.update(warnings=[1]),
    lambda d: d.update(submitted_at=5),
    lambda d: d.update(timings=[]),
    lambda d: d.update(sandbox="x"),
    lambda d: d["cells"].update(c={"score": "1"}),
    lambda d: d["cells"].update(c=[]),
    lambda d: d["checks"].append("x"),
    lambda d: d["checks"][0].update(points=float("nan")),
    lambda d: d["checks"][0].pop("outcome"),
    lambda d: d["checks"][0].update(measured=[0.5]),
    lambda d: d["checks"][0].update(measured={"accuracy": "0.9"}),
    lambda d: d["checks"][0].update(measured={"accuracy": True}),
])
def test_malformed_results_read_as_none(tmp_path, damage):
    doc = graded()
    damage(doc)
    (tmp_path / "result.json").write_text(json.dumps(doc))
    assert read(tmp_path / "result.json") is None


def test_unreadable_files_read_as_none(tmp_path, monkeypatch):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "real.json").write_text(json.dumps(graded()))
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    (tmp_path / "latin1.json").write_bytes(json.dumps(graded(reason="é"), ensure_ascii=False).encode("latin-1"))
    for name in ("deep.json", "link.json", "latin1.json", "missing.json"):
        assert read(tmp_path / name) is None, name
    monkeypatch.setattr(results, "MAX_RESULT_BYTES", 100)
    assert read(tmp_path / "real.json") is None


def test_a_new_result_validates_and_carries_warnings():
    doc = graded(warnings=["timestamp.txt ignored (it is not text)"])
    assert results.validate(doc) is doc and not any(
        isinstance(v, float) and not math.isfinite(v) for v in doc.values())


def test_a_checks_measurements_are_kept_and_cleaned(tmp_path):
    """TA-only figures (grader.checks.measure) survive the round trip; a non-finite one becomes None."""
    doc = graded()
    doc["checks"][0]["measured"] = {"accuracy": 0.902, "loss_gap": float("nan"), "steps": 50, "none": None}
    write_atomic(tmp_path / "result.json", doc)
    strict_load(tmp_path / "result.json")
    assert read(tmp_path / "result.json")["checks"][0]["measured"] == {"accuracy": 0.902, "loss_gap": None,
                                                                       "steps": 50, "none": None}
    doc["checks"][0]["measured"] = {"accuracy": float("inf")}
    (tmp_path / "raw.json").write_text(json.dumps(doc))  # written by anyone: Infinity in the file
    assert read(tmp_path / "raw.json")["checks"][0]["measured"] == {"accuracy": None}
