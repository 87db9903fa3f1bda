"""The scratch's disk cap counts what a folder really costs: blocks of every entry, and entries."""

import os
import signal
import subprocess

from grader.sandbox.disk import DiskWatch, folder_usage


def test_empty_folders_count_in_blocks_and_entries(tmp_path):
    for i in range(50):
        (tmp_path / f"d{i}").mkdir()
    used, entries = folder_usage(tmp_path)
    assert entries == 50 and used >= 50 * 512


def test_links_are_counted_never_followed(tmp_path):
    os.symlink("/usr", tmp_path / "link")
    assert folder_usage(tmp_path)[1] == 1


def test_too_many_entries_kill_the_process_group(tmp_path):
    sleeper = subprocess.Popen(["sleep", "30"], start_new_session=True)
    watch = DiskWatch(tmp_path, 1 << 30, sleeper.pid, max_entries=100)
    for i in range(200):
        (tmp_path / str(i)).mkdir()
    try:
        assert sleeper.wait(timeout=5) == -signal.SIGKILL and watch.exceeded
    finally:
        watch.stop()
        sleeper.kill()
