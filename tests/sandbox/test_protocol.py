"""The runner's messages are checked against their schema; anything else is a violation, never a harness error."""

import json

import pytest

from grader.sandbox import protocol
from grader.sandbox.protocol import ProtocolViolation

CELLS = [{"id": "impl", "kind": "solution", "source": "x = 1"}, {"id": "tests", "kind": "test", "source": "pass"}]


def ready(*cells):
    return {"ready": True, "cells": list(cells)}


GOOD = [{"id": "impl", "kind": "solution", "ok": True, "seconds": 0.1},
        {"id": "tests", "kind": "test", "ok": False, "seconds": 0.2, "error": "AssertionError", "message": "no",
         "where": "cell tests, line 1"}]


def test_a_well_formed_start_message_is_accepted():
    assert [c["ok"] for c in protocol.ready(ready(*GOOD), CELLS)] == [True, False]


@pytest.mark.parametrize("line", [b'{"seconds": Infinity}', b'{"seconds": NaN}', b"[1, 2]", b"not json",
                                  b"[" * 100000, b'{"protocol_violation": "x"}'])
def test_non_strict_or_non_object_lines_are_violations(line):
    with pytest.raises(ProtocolViolation):
        protocol.parse_line(line)


@pytest.mark.parametrize("cells", [
    [],
    ["impl", "tests"],
    [GOOD[0]],
    [GOOD[1], GOOD[0]],
    [{**GOOD[0], "id": "other"}, GOOD[1]],
    [{**GOOD[0], "kind": "test"}, GOOD[1]],
    [{**GOOD[0], "seconds": -1}, GOOD[1]],
    [{**GOOD[0], "seconds": 1e300}, GOOD[1]],
    [{**GOOD[0], "seconds": "1"}, GOOD[1]],
    [{**GOOD[0], "ok": 1}, GOOD[1]],
    [GOOD[0], {**GOOD[1], "message": ["x"]}],
], ids=["none", "not-dicts", "missing", "reordered", "unknown-id", "wrong-kind", "negative-time", "huge-time",
        "text-time", "int-flag", "list-message"])
def test_malformed_start_messages_are_violations(cells):
    with pytest.raises(ProtocolViolation):
        protocol.ready(ready(*cells), CELLS)


def test_texts_are_capped():
    long = {**GOOD[1], "message": "x" * 100000, "error": "E" * 1000}
    cell = protocol.ready(ready(GOOD[0], long), CELLS)[1]
    assert len(cell["message"]) == protocol.MAX_TEXT and len(cell["error"]) == 80


@pytest.mark.parametrize("message", [
    {"ok": "yes"},
    {"ok": True},
    {"ok": True, "result": []},
    {"ok": True, "result": {}, "mutated": [5]},
    {"ok": True, "result": {}, "mutated": [True]},
    {"ok": False, "missing": "no"},
    {"ok": False, "seconds": float("inf")},
], ids=["text-ok", "no-result", "list-result", "mutated-out-of-range", "mutated-bool", "text-missing", "inf-time"])
def test_malformed_replies_are_violations(message):
    with pytest.raises(ProtocolViolation):
        protocol.reply(json.loads(json.dumps(message)), 2)


def test_a_well_formed_reply_is_accepted():
    checked = protocol.reply({"ok": True, "result": {"npy": "out-1.npy"}, "mutated": [1, 1], "seconds": 2}, 2)
    assert checked == {"ok": True, "result": {"npy": "out-1.npy"}, "mutated": [1], "seconds": 2.0}


GPU_REPORT = {"device_nodes": ["nvidia0", "nvidiactl"], "driver": "", "cuda_wheels": ["cudnn"], "tensorflow": "2.21.0",
              "cuda_build": True, "gpus": ["NVIDIA H200"], "tf32": False, "determinism": True, "memory_growth": True,
              "error": ""}


def test_a_well_formed_gpu_report_is_accepted():
    assert protocol.gpu_report({"gpu": GPU_REPORT}) == GPU_REPORT


@pytest.mark.parametrize("report", [
    None,
    [],
    {key: value for key, value in GPU_REPORT.items() if key != "gpus"},
    {**GPU_REPORT, "extra": 1},
    {**GPU_REPORT, "gpus": "NVIDIA H200"},
    {**GPU_REPORT, "gpus": [1]},
    {**GPU_REPORT, "gpus": ["x"] * 1000},
    {**GPU_REPORT, "tf32": 0},
    {**GPU_REPORT, "driver": None},
], ids=["none", "list", "missing-key", "extra-key", "text-list", "number-names", "huge-list", "int-flag", "null-text"])
def test_malformed_gpu_reports_are_violations(report):
    with pytest.raises(ProtocolViolation):
        protocol.gpu_report({"gpu": report})


def test_gpu_report_texts_are_capped():
    checked = protocol.gpu_report({"gpu": {**GPU_REPORT, "error": "E" * 10000, "gpus": ["G" * 10000]}})
    assert len(checked["error"]) == protocol.MAX_TEXT and len(checked["gpus"][0]) == protocol.MAX_TEXT
