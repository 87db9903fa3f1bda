"""A cap on what the student process writes into its scratch directory (a host folder).

Each file is already limited by RLIMIT_FSIZE; this bounds their total, counting the
blocks of every entry (folders and links too, not only file bytes) and the number of
entries (inodes). A thread measures the folder every 100 ms and kills the process group
when it is over either cap, or when it cannot be measured: folders nested deeper than
:data:`MAX_DEPTH`, or one the grader may not read. The walk goes through directory
descriptors, so no path length hides anything from it.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from grader.i18n import Explained, Message, _

MAX_DEPTH = 64


class Unmeasurable(Explained):
    """Part of the folder is out of the watch's reach; the message says why."""


def folder_usage(folder: Path, max_entries: int | None = None) -> tuple[int, int]:
    """(bytes of disk blocks, number of entries) under ``folder``; links are not followed.

    Counting stops early once more than ``max_entries`` entries were seen. Raises
    :class:`Unmeasurable` for folders deeper than :data:`MAX_DEPTH` or any that cannot be read
    (an entry that disappears while it is counted is simply not counted).
    """
    top = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    stack = [(top, os.scandir(top))]
    total, count = 0, 0
    try:
        while stack and (max_entries is None or count <= max_entries):
            descriptor, entries = stack[-1]
            entry = next(entries, None)
            if entry is None:
                entries.close()
                os.close(stack.pop()[0])
                continue
            count += 1
            try:
                total += entry.stat(follow_symlinks=False).st_blocks * 512
                if entry.is_dir(follow_symlinks=False):
                    if len(stack) >= MAX_DEPTH:
                        raise Unmeasurable(_("folders nested more than {depth} deep", depth=MAX_DEPTH))
                    inner = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=descriptor)
                    stack.append((inner, os.scandir(inner)))
            except FileNotFoundError:
                continue
            except OSError as error:
                raise Unmeasurable(_("a folder the grader cannot read ({error})", error=error.strerror or "")) from None
    finally:
        for descriptor, entries in stack:
            entries.close()
            os.close(descriptor)
    return total, count


class DiskWatch:
    """Kills process group ``pgid`` once ``folder`` holds more than ``limit_bytes`` or ``max_entries`` entries."""

    def __init__(self, folder: Path, limit_bytes: int, pgid: int, max_entries: int = 20000):
        self.folder, self.limit_bytes, self.pgid = folder, limit_bytes, pgid
        self.max_entries = max_entries
        self.exceeded = False
        self.hidden: Message | None = None  # why the scratch could not be measured, when that is why it was killed
        self._stop = threading.Event()
        threading.Thread(target=self._poll, daemon=True).start()

    def _poll(self) -> None:
        while not self._stop.wait(0.1):
            try:
                used, entries = folder_usage(self.folder, self.max_entries)
            except Unmeasurable as why:
                self.hidden = why.message  # set before the kill: whoever sees the process die reads it
                self._kill()
                return
            except OSError:
                continue  # the scratch itself is being replaced or removed
            if used > self.limit_bytes or entries > self.max_entries:
                self._kill()
                return

    def _kill(self) -> None:
        self.exceeded = True
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        self._stop.set()
