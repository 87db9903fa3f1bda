"""The scratch's disk cap counts what a folder really costs: blocks of every entry, and entries."""

import os
import signal
import subprocess

import pytest

from grader.sandbox.disk import MAX_DEPTH, DiskWatch, Unmeasurable, folder_usage


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


def test_nothing_hides_below_path_max_or_deep_folders(tmp_path):
    folder = os.open(tmp_path, os.O_RDONLY)
    for depth in range(20):  # 20 x 250 characters: far past PATH_MAX
        os.mkdir(chr(97 + depth) * 250, dir_fd=folder)
        inner = os.open(chr(97 + depth) * 250, os.O_RDONLY, dir_fd=folder)
        os.close(folder)
        folder = inner
    for k in range(30):
        os.close(os.open(f"f{k}", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=folder))
    os.close(folder)
    assert folder_usage(tmp_path)[1] == 50


def test_folders_deeper_than_the_limit_cannot_be_measured(tmp_path):
    deep = tmp_path.joinpath(*["d"] * (MAX_DEPTH + 1))
    deep.mkdir(parents=True)
    with pytest.raises(Unmeasurable, match="nested"):
        folder_usage(tmp_path)
