"""Prove the sandbox confines student code on this machine.

Starts a sandbox and probes it from inside: network closed (loopback and outside),
grading material, the reference, the course and its gradebook invisible, trusted
packages not importable, no harness environment variables, an unprivileged user,
read-only system folders, resource limits set, an own pid namespace, a memory cap,
and nothing left behind afterwards. Exit status 0 only if every property holds.

With --gpu it also checks what grading on this machine's GPU needs, in a sandbox started
as a grading job's and in the checker: the NVIDIA device nodes, the driver library, the
CUDA libraries, TensorFlow seeing the GPU, TF32 off, determinism and memory growth on.
Run it on every GPU worker (scripts/start_gpu_workers.sh's workers run the same check).
"""

from __future__ import annotations

import os
from pathlib import Path

from grader.doctor import examine, examine_gpu
from grader.sandbox import gpu
from grader.sandbox.bwrap import SandboxUnavailable, probe


def add_arguments(parser) -> None:
    parser.add_argument("--course", default=None, help="also prove this course directory is invisible")
    parser.add_argument("--gpu", action="store_true",
                        help="also check that grading jobs find this machine's GPU (on GPU workers)")


def run(args) -> int:
    ok = _sandbox(Path(args.course) if args.course else None)
    if args.gpu:
        ok = _gpu() and ok
    return 0 if ok else 1


def _sandbox(course: Path | None) -> bool:
    try:
        probe()
    except SandboxUnavailable as problem:
        print(f"FAIL  {problem}")
        return False
    findings = examine(course)
    _print([(f.claim, f.ok) for f in findings])
    ok = all(f.ok for f in findings)
    print("the sandbox confines student code" if ok else "the sandbox does NOT confine student code")
    return ok


def _gpu() -> bool:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    print(f"\nGPU (CUDA_VISIBLE_DEVICES={'unset' if visible is None else repr(visible)}):")
    found = examine_gpu()
    for where, report in found.places():
        print(f"in {where}:")
        _print([(r.claim, r.ok) for r in gpu.requirements(report)])
    problems = found.problems()
    if problems:
        print("grading jobs here would NOT run on a GPU:\n" + "\n".join(f"  - {p}" for p in problems))
    else:
        print("grading jobs here run on the GPU, as a CPU would grade them (TF32 off, deterministic)")
    return not problems


def _print(rows: list[tuple[str, bool]]) -> None:
    for claim, ok in rows:
        print(f"{'ok  ' if ok else 'FAIL'}  {claim}")
