"""The runner's messages, checked against their schema before the checker believes a word of them.

Everything the sandbox sends is untrusted: strict JSON (no NaN or Infinity), exactly the
expected keys and types, finite non-negative timings, bounded texts, cell ids that are the
program's own. Anything else is a :class:`ProtocolViolation`, which fails that
submission's checks (as a crash) and never the harness.
"""

from __future__ import annotations

import json
import math

from grader.i18n import _
from grader.sandbox.errors import StudentCrashed

MAX_TEXT = 300
MAX_SECONDS = 1e6
CELL_KINDS = ("solution", "test", "locked")


class ProtocolViolation(StudentCrashed):
    """The student process sent a message that is not what the protocol allows."""


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def parse_line(line: bytes) -> dict:
    """A message: one line of strict JSON holding an object."""
    try:
        message = json.loads(line, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ProtocolViolation(_("the student process sent a malformed message")) from None
    if not isinstance(message, dict):
        raise ProtocolViolation(_("the student process sent a malformed message"))
    if "protocol_violation" in message:
        raise ProtocolViolation(_("the student process sent a message out of turn (its own code wrote to the "
                                  "runner's channel)"))
    return message


def _text(value, field: str) -> str:
    if not isinstance(value, str):
        raise ProtocolViolation(_("the student process sent a malformed message ({part})", part=field))
    return value[:MAX_TEXT]


def _flag(value, field: str) -> bool:
    if type(value) is not bool:
        raise ProtocolViolation(_("the student process sent a malformed message ({part})", part=field))
    return value


def seconds(value) -> float:
    """A timing the runner reported: a finite, non-negative number of seconds."""
    if type(value) not in (int, float) or not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise ProtocolViolation(_("the student process sent a malformed message ({part})", part="a timing"))
    return float(value)


def _error_fields(message: dict) -> dict:
    return {"error": _text(message.get("error", ""), "error")[:80],
            "message": _text(message.get("message", ""), "message"),
            "where": _text(message.get("where", ""), "where")}


def ready(message: dict, program_cells: list[dict]) -> list[dict]:
    """The cells of a ``{"ready": true, "cells": [...]}`` message: one per program cell, in program order."""
    cells = message.get("cells")
    if message.get("ready") is not True or not isinstance(cells, list) or len(cells) != len(program_cells):
        raise ProtocolViolation(_("the student process sent a malformed start message"))
    outcomes = []
    for cell, expected in zip(cells, program_cells):
        if not isinstance(cell, dict) or cell.get("id") != expected["id"] or cell.get("kind") != expected["kind"]:
            raise ProtocolViolation(_("the student process sent a malformed start message ({part})", part="cells"))
        outcome = {"id": expected["id"], "kind": expected["kind"], "ok": _flag(cell.get("ok"), "ok"),
                   "seconds": seconds(cell.get("seconds"))}
        if not outcome["ok"]:
            outcome.update(_error_fields(cell))
        outcomes.append(outcome)
    return outcomes


MAX_NAMES = 64
GPU_FLAGS = ("cuda_build", "tf32", "determinism", "memory_growth")
GPU_TEXTS = ("driver", "tensorflow", "error")
GPU_LISTS = ("device_nodes", "cuda_wheels", "gpus")


def gpu_report(message: dict) -> dict:
    """The runner's ``{"gpu": {...}}`` report (:func:`grader.sandbox.runner.prepare_gpu`): exactly its fields."""
    report = message.get("gpu")
    if not isinstance(report, dict) or set(report) != {*GPU_FLAGS, *GPU_TEXTS, *GPU_LISTS}:
        raise ProtocolViolation(_("the student process sent a malformed GPU report"))
    checked = {key: _flag(report[key], key) for key in GPU_FLAGS}
    checked.update({key: _text(report[key], key) for key in GPU_TEXTS})
    for key in GPU_LISTS:
        if not isinstance(report[key], list) or len(report[key]) > MAX_NAMES:
            raise ProtocolViolation(_("the student process sent a malformed message ({part})", part=key))
        checked[key] = [_text(name, key) for name in report[key]]
    return checked


def reply(message: dict, argument_count: int) -> dict:
    """A reply to a call or get: ``ok`` with a result, or the error it raised."""
    ok = _flag(message.get("ok"), "ok")
    mutated = message.get("mutated", [])
    if not isinstance(mutated, list) or any(type(i) is not int or not 0 <= i < argument_count for i in mutated):
        raise ProtocolViolation(_("the student process sent a malformed message ({part})", part="mutated"))
    checked = {"ok": ok, "seconds": seconds(message.get("seconds", 0.0)), "mutated": sorted(set(mutated))}
    if ok:
        if not isinstance(message.get("result"), dict):
            raise ProtocolViolation(_("the student process sent a malformed message ({part})", part="result"))
        return {**checked, "result": message["result"]}
    return {**checked, "missing": _flag(message.get("missing", False), "missing"),
            "not_numeric": _flag(message.get("not_numeric", False), "not_numeric"), **_error_fields(message)}
