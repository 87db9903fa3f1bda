"""How a cgroup's counters are read: only an OOM kill means the student ran out of memory."""

import pytest

from grader.sandbox.memory import CgroupMemoryCap


def cap_in(folder, version, **files):
    """A CgroupMemoryCap over a plain folder holding the counter files a kernel would write."""
    cap = CgroupMemoryCap(1 << 20, folder, version)
    for name, text in files.items():
        (cap.path / name.replace("_", ".", 1)).write_text(text)
    return cap


@pytest.mark.parametrize(("version", "files", "exceeded"), [
    (1, {"memory_oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", "memory_failcnt": "188\n"}, False),
    (1, {"memory_oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n", "memory_failcnt": "3\n"}, True),
    (2, {"memory_events": "low 0\nhigh 0\nmax 57\noom 0\noom_kill 0\n"}, False),
    (2, {"memory_events": "low 0\nhigh 0\nmax 57\noom 1\noom_kill 1\n"}, True),
    # Kernels before 4.13 count no kills: hitting the limit is all there is to go by.
    (1, {"memory_oom_control": "oom_kill_disable 0\nunder_oom 0\n", "memory_failcnt": "2\n"}, True),
    (1, {"memory_oom_control": "oom_kill_disable 0\nunder_oom 0\n", "memory_failcnt": "0\n"}, False),
], ids=["v1-page-cache", "v1-oom-kill", "v2-page-cache", "v2-oom-kill", "v1-old-kernel-hit", "v1-old-kernel"])
def test_only_an_oom_kill_counts_as_over_memory(tmp_path, version, files, exceeded):
    assert cap_in(tmp_path, version, **files).exceeded() is exceeded


def test_a_pids_cgroup_caps_processes_and_the_shell_joins_both_hierarchies(tmp_path):
    memory, pids = tmp_path / "memory", tmp_path / "pids"
    memory.mkdir()
    pids.mkdir()
    cap = CgroupMemoryCap(1 << 20, memory, 1, pids_parent=pids, max_pids=7)
    assert cap.caps_processes
    assert (pids / cap.path.name / "pids.max").read_text() == "7"
    argv = cap.wrap(["true"])
    assert [a for a in argv if a.endswith("cgroup.procs")] == [str(pids / cap.path.name / "cgroup.procs"),
                                                              str(cap.path / "cgroup.procs")]


def test_without_a_pids_hierarchy_the_cap_says_so(tmp_path):
    cap = CgroupMemoryCap(1 << 20, tmp_path, 1)
    assert not cap.caps_processes
    assert [a for a in cap.wrap(["true"]) if a.endswith("cgroup.procs")] == [str(cap.path / "cgroup.procs")]
