"""The gradebook on PostgreSQL: `grader autograde --db postgresql://...` and the real `nbgrader export` on it.

A throwaway PostgreSQL server from Debian's packages (``initdb`` into a temp dir, a Unix
socket there, TCP on 127.0.0.1 only, trust auth for one role) is started for this module
and stopped afterwards. CI installs it with ``make system-deps`` and the driver with the
``postgres`` extra.
"""

from __future__ import annotations

import csv
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader import paths, results
from grader.assignment import Assignment
from grader.gradebook import course_db_url, scores
from grader.sampleclass import release_notebook, submission, write_submission

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
ASSIGNMENT = Assignment.find("conv2d")


def server_bindir() -> Path:
    """Debian's /usr/lib/postgresql/VERSION/bin (the newest), else wherever initdb is on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    initdb = found[-1] if found else shutil.which("initdb")
    if not initdb:
        pytest.fail("the PostgreSQL server is not installed: run `make system-deps` (apt-get install postgresql)")
    return Path(initdb).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres() -> str:
    """The URL of an empty database on a private PostgreSQL server; the server is stopped afterwards."""
    bindir = server_bindir()
    home = Path(tempfile.mkdtemp(prefix="grader-pg-"))
    as_server_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use the postgres account Debian's package made
        account = pwd.getpwnam("postgres")
        os.chown(home, account.pw_uid, account.pw_gid)
        as_server_user = ["runuser", "-u", "postgres", "--"] if shutil.which("runuser") else ["su", "postgres", "-c"]
    data, port = home / "data", free_port()

    def server(*args: str) -> None:
        command = [str(bindir / args[0]), *args[1:]]
        if as_server_user[-1:] == ["-c"]:  # su wants one shell string
            command = [" ".join(f"'{part}'" for part in command)]
        subprocess.run([*as_server_user, *command], check=True, capture_output=True, timeout=300)

    try:
        server("initdb", "-D", str(data), "-U", "grader", "--auth=trust", "-E", "UTF8", "--no-sync")
        server("pg_ctl", "-D", str(data), "-l", str(home / "server.log"), "-w", "-t", "180", "-o",
               f"-k {home} -c listen_addresses=127.0.0.1 -p {port} -c fsync=off", "start")
        subprocess.run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "grader", "gradebook"],
                       check=True, capture_output=True, timeout=120)
        yield f"postgresql://grader@127.0.0.1:{port}/gradebook"
    except subprocess.CalledProcessError as error:
        log = (home / "server.log").read_text()[-2000:] if (home / "server.log").exists() else ""
        pytest.fail(f"PostgreSQL did not start: {error.cmd}: {error.stderr.decode()[-1000:]}\n{log}")
    finally:
        if (data / "postmaster.pid").exists():
            server("pg_ctl", "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop")
        shutil.rmtree(home, ignore_errors=True)


def build(course: Path) -> list[str]:
    notebooks = {"solution": submission(ASSIGNMENT, None), "stub": release_notebook(ASSIGNMENT),
                 "broken-json": b'{"cells": [ not json'}
    notebooks.update({f"variant-{v.name}": submission(ASSIGNMENT, v) for v in ASSIGNMENT.variants()[:2]})
    for student, notebook in notebooks.items():
        write_submission(course, student, "conv2d", notebook)
    return sorted(notebooks)


def autograde_cli(course: Path, *extra: str) -> str:
    done = subprocess.run([sys.executable, "-m", "grader", "autograde", "conv2d", "--course", str(course),
                           "--workers", "2", "--quiet", *extra], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=400, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def graded(postgres, tmp_path_factory):
    """The same small class graded twice: into PostgreSQL and into the default SQLite gradebook."""
    on_postgres, on_sqlite = tmp_path_factory.mktemp("pg"), tmp_path_factory.mktemp("sqlite")
    students = build(on_postgres)
    build(on_sqlite)
    autograde_cli(on_postgres, "--db", postgres)
    autograde_cli(on_sqlite)
    return students, on_postgres, on_sqlite


@pytest.mark.timeout(900)
def test_scores_on_postgres_equal_sqlite(postgres, graded):
    students, on_postgres, on_sqlite = graded
    assert not (on_postgres / "gradebook.db").exists()
    book = scores(postgres, "conv2d")
    assert set(book) == set(students)
    assert book == scores(course_db_url(on_sqlite), "conv2d")
    assert book["solution"]["score"] == ASSIGNMENT.max_score and book["stub"]["score"] == 0
    for student in students:
        result = results.read(paths.autograded_dir(on_postgres, student, "conv2d") / "result.json")
        assert result["score"] == book[student]["score"], student
    output = autograde_cli(on_postgres, "--db", postgres)  # a re-run re-syncs idempotently
    assert f"resuming: {len(students)} of {len(students)} already graded" in output
    assert scores(postgres, "conv2d") == book


@pytest.mark.timeout(300)
def test_real_nbgrader_export_reads_the_postgres_gradebook(postgres, graded, tmp_path):
    students, _, on_sqlite = graded
    out = tmp_path / "nbgrader.csv"
    subprocess.run([str(BIN / "nbgrader"), "export", f"--db={postgres}", f"--to={out}"], cwd=tmp_path,
                   check=True, capture_output=True, env=ENV, timeout=240)
    with open(out, newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["assignment"] == "conv2d"]
    totals = {row["student_id"]: float(row["score"]) for row in rows}
    expected = {student: entry["score"] for student, entry in scores(course_db_url(on_sqlite), "conv2d").items()}
    assert totals == expected and set(totals) == set(students)
    assert {float(row["max_score"]) for row in rows} == {ASSIGNMENT.max_score}
