"""Reading files that anyone but the grader may have planted: never through a link, never blocking, bounded."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class UnsafeFile(ValueError):
    """The file is a link, not a regular file, or too large; the message says which."""


class TooLarge(UnsafeFile):
    """The file is a regular file over the size limit."""


def read_regular_file(path: Path | str, max_bytes: int, *, dir_fd: int | None = None) -> bytes:
    """The bytes of ``path`` (relative to the folder ``dir_fd`` when given), at most ``max_bytes`` of them.

    Raises :class:`FileNotFoundError` when it is absent and :class:`UnsafeFile` when it
    is a symbolic link, anything but a regular file (a folder, a FIFO, a device) or
    larger than ``max_bytes`` (:class:`TooLarge`). Opened with ``O_NOFOLLOW|O_NONBLOCK`` and checked with
    ``fstat`` on the open descriptor, so it cannot be swapped between check and read.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC,
                             dir_fd=dir_fd)
    except FileNotFoundError:
        raise
    except OSError as error:
        reason = "is a symbolic link" if error.errno == errno.ELOOP else "cannot be opened"
        raise UnsafeFile(f"{Path(path).name} {reason}") from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise UnsafeFile(f"{Path(path).name} is not a regular file")
        data = _read_at_most(descriptor, max_bytes + 1)
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:
        raise TooLarge(f"{Path(path).name} is over {max_bytes:,} bytes")
    return data


def _read_at_most(descriptor: int, limit: int) -> bytes:
    """Up to ``limit`` bytes from ``descriptor`` (fewer at the end of the file)."""
    chunks, left = [], limit
    while left:
        chunk = os.read(descriptor, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
