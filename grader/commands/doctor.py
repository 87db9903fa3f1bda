"""Prove the sandbox confines student code on this machine.

Starts a sandbox and probes it from inside: network closed (loopback and outside),
grading material, the reference, the course and its gradebook invisible, trusted
packages not importable, no harness environment variables, an unprivileged user,
read-only system folders, resource limits set, an own pid namespace, a memory cap,
and nothing left behind afterwards. Exit status 0 only if every property holds.
"""

from __future__ import annotations

from pathlib import Path

from grader.doctor import examine
from grader.sandbox.bwrap import SandboxUnavailable, probe


def add_arguments(parser) -> None:
    parser.add_argument("--course", default=None, help="also prove this course directory is invisible")


def run(args) -> int:
    try:
        probe()
    except SandboxUnavailable as problem:
        print(f"FAIL  {problem}")
        return 1
    findings = examine(Path(args.course) if args.course else None)
    for finding in findings:
        print(f"{'ok  ' if finding.ok else 'FAIL'}  {finding.claim}")
    ok = all(f.ok for f in findings)
    print("the sandbox confines student code" if ok else "the sandbox does NOT confine student code")
    return 0 if ok else 1
