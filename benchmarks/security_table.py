"""Grade the hostile and faulty suite and write its table into SECURITY.md.

    python benchmarks/security_table.py [--workers 2] [--output SECURITY.md]

Builds every case of tests/hostile/suite.py in a temporary course, grades them in one
batch with `grader autograde` (sandbox on), and writes one row per case: what it tries,
what must happen, what happened, and the time the job took to contain it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import paths, results  # noqa: E402
from grader.autograde import autograde  # noqa: E402
from grader.cluster import client_factory  # noqa: E402
from tests.hostile.suite import ASSIGNMENT, build, verdict  # noqa: E402

BEGIN, END = "<!-- hostile-table:begin -->", "<!-- hostile-table:end -->"


def outcome(result: dict) -> str:
    if result["status"] != "graded":
        return f"{result['status']}: {result['reason'][:90]}"
    kinds = sorted({c["outcome"] for c in result["checks"] if c["outcome"] != "passed"})
    return f"graded {result['score']:g}/{result['max_score']:g}" + (f" ({', '.join(kinds)})" if kinds else "")


def table(workers: int) -> tuple[str, int]:
    with tempfile.TemporaryDirectory(prefix="grader-hostile-") as folder:
        course = Path(folder)
        suite = build(course)
        start = time.perf_counter()
        summary = autograde(course, ASSIGNMENT, client_factory=client_factory(workers), progress=True)
        wall = time.perf_counter() - start
        rows = ["| case | what it tries | must | outcome | contained in | ok |", "|---|---|---|---|---:|---|"]
        failures = 0
        for student, case in suite.items():
            result = results.read(paths.autograded_dir(course, student, "conv2d") / "result.json")
            problem = verdict(case, result)
            failures += bool(problem)
            seconds = result["timings"].get("total_s", 0) if result else 0
            rows.append(f"| `{student}` | {case.tries} | {case.expect} | {outcome(result) if result else '-'} "
                        f"| {seconds:.1f} s | {'yes' if not problem else 'NO: ' + problem} |")
    stamp = datetime.date.today().isoformat()
    head = (f"{len(suite)} cases, graded in one batch of `grader autograde --workers {workers}` in {wall:.0f} s "
            f"({'every case as required' if not failures else f'{failures} case(s) NOT as required'}; "
            f"batch errors: {len(summary.errors)}). Measured {stamp} on {os.cpu_count()} cores, "
            f"Python {platform.python_version()}: `python benchmarks/security_table.py`.")
    return head + "\n\n" + "\n".join(rows), failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", type=Path, default=ROOT / "SECURITY.md")
    args = parser.parse_args()
    text, failures = table(args.workers)
    document = args.output.read_text()
    args.output.write_text(re.sub(f"{BEGIN}.*{END}", lambda _: f"{BEGIN}\n{text}\n{END}", document, flags=re.S))
    print(text)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
