"""The same attacks with the grader run by an ordinary user: no cgroups to write, a user namespace, RLIMIT_NPROC.

The test runs as root (as CI does), makes an unprivileged user's view of this machine in a private
mount namespace (folders such as /root, which hold the interpreter here, are 0700 to others), and runs
``grader doctor`` and ``grader autograde`` there as that user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader import paths, results
from tests.hostile.suite import CANARY, CANARY_TEXT, cases, verdict

USER = 4242
NAMES = ("control-solution", "hostile-plant_links", "hostile-fork_bomb", "hostile-escape_namespaces",
         "hostile-many_folders", "hostile-forge_ready", "hostile-fill_shm_and_dev")

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"),
                                reason="needs root to become an ordinary user (and util-linux)")


def _closed_ancestors(needed: list[Path]) -> dict[Path, list[Path]]:
    """For each folder others cannot enter, the needed paths below it."""
    found: dict[Path, list[Path]] = {}
    for path in needed:
        for parent in reversed(path.parents):
            if parent != Path("/") and not os.stat(parent).st_mode & 0o001:
                found.setdefault(parent, []).append(path)
                break
    return found


def _as_user(argv: list[str], home: Path) -> list[str]:
    """``argv`` run as USER in a mount namespace where the interpreter and the project are reachable."""
    needed = sorted({Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), paths.project_root()})
    script = ["set -e", "stage=$(mktemp -d)"]
    for number, (closed, below) in enumerate(_closed_ancestors(needed).items()):
        for index, path in enumerate(below):
            script += [f"mkdir -p $stage/{number}-{index}", f"mount --bind '{path}' $stage/{number}-{index}"]
        script.append(f"mount -t tmpfs -o mode=755 tmpfs '{closed}'")
        for index, path in enumerate(below):
            script += [f"mkdir -p '{path}'", f"mount --move $stage/{number}-{index} '{path}'"]
    user = ["setpriv", f"--reuid={USER}", f"--regid={USER}", "--clear-groups", "--"]
    script.append("exec " + " ".join(f"'{a}'" for a in user + argv))
    env = f"HOME={home} PATH={Path(sys.executable).parent}:/usr/bin:/bin"
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", f"export {env}; " + "\n".join(script)]


@pytest.fixture(scope="module")
def course():
    root = Path(tempfile.mkdtemp(prefix="grader-nonroot-"))  # pytest's own folders are 0700 to others
    course, home = root / "course", root / "home"
    home.mkdir()
    course.mkdir()
    (course / CANARY).write_text(CANARY_TEXT)
    chosen = [case for case in cases() if case.student in NAMES]
    for case in chosen:
        case.write(course)
    for folder in (root, course, home):
        os.chown(folder, USER, USER)
    for path in [*course.rglob("*"), *home.rglob("*")]:
        os.chown(path, USER, USER, follow_symlinks=False)
    os.chown(course / CANARY, 0, 0)
    os.chmod(course / CANARY, 0o644)
    root.chmod(0o755)
    yield course, home, {case.student: case for case in chosen}
    shutil.rmtree(root, ignore_errors=True)


def test_the_sandbox_confines_when_an_ordinary_user_runs_the_grader(course):
    _, home, _ = course
    done = subprocess.run(_as_user([sys.executable, "-m", "grader", "doctor"], home), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok    student code runs as an unprivileged user, on the host too" in done.stdout


def test_every_attack_gets_its_outcome_when_an_ordinary_user_grades(course):
    folder, home, suite = course
    argv = [sys.executable, "-m", "grader", "autograde", "conv2d", "--course", str(folder), "--workers", "2",
            "--quiet"]
    done = subprocess.run(_as_user(argv, home), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    stored = {s: results.read(paths.autograded_dir(folder, s, "conv2d") / "result.json") for s in suite}
    wrong = {s: verdict(case, stored[s]) for s, case in suite.items() if verdict(case, stored[s])}
    assert wrong == {}
    assert (folder / CANARY).read_text() == CANARY_TEXT
    assert all(r["sandbox"]["memory_cap"] == "rss-watchdog" for r in stored.values() if r["status"] == "graded")
