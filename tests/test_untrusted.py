"""Reading a planted file: bounded, never through a link, never blocking on a FIFO."""

import os

import pytest

from grader.untrusted import TooLarge, UnsafeFile, read_regular_file


def test_a_regular_file_is_read(tmp_path):
    (tmp_path / "f").write_bytes(b"x" * 3000)
    assert read_regular_file(tmp_path / "f", 3000) == b"x" * 3000


def test_a_larger_file_is_refused_without_reading_it_all(tmp_path):
    (tmp_path / "f").write_bytes(b"x" * 3001)
    with pytest.raises(TooLarge, match="over 3,000 bytes"):
        read_regular_file(tmp_path / "f", 3000)


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "nothing", 10)


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.symlink_to("/etc/hostname"), "is a symbolic link"),
    (lambda p: p.mkdir(), "is not a regular file"),
    (lambda p: os.mkfifo(p), "is not a regular file"),
])
def test_links_folders_and_fifos_are_refused(tmp_path, make, reason):
    make(tmp_path / "f")
    with pytest.raises(UnsafeFile, match=reason):
        read_regular_file(tmp_path / "f", 10)
