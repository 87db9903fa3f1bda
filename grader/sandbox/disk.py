"""A cap on what the student process writes into its scratch directory (a host folder).

Each file is already limited by RLIMIT_FSIZE; this bounds their total, counting the
blocks of every entry (folders and links too, not only file bytes) and the number of
entries (inodes). A thread sums the folder every 100 ms and kills the process group
when it is over either cap.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path


def folder_usage(folder: Path, max_entries: int | None = None) -> tuple[int, int]:
    """(bytes of disk blocks, number of entries) under ``folder``; links are not followed.

    Counting stops early once more than ``max_entries`` entries were seen.
    """
    total, count = 0, 0
    stack = [str(folder)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            count += 1
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                total += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
        if max_entries is not None and count > max_entries:
            break
    return total, count


class DiskWatch:
    """Kills process group ``pgid`` once ``folder`` holds more than ``limit_bytes`` or ``max_entries`` entries."""

    def __init__(self, folder: Path, limit_bytes: int, pgid: int, max_entries: int = 20000):
        self.folder, self.limit_bytes, self.pgid = folder, limit_bytes, pgid
        self.max_entries = max_entries
        self.exceeded = False
        self._stop = threading.Event()
        threading.Thread(target=self._poll, daemon=True).start()

    def _poll(self) -> None:
        while not self._stop.wait(0.1):
            used, entries = folder_usage(self.folder, self.max_entries)
            if used > self.limit_bytes or entries > self.max_entries:
                self.exceeded = True
                try:
                    os.killpg(self.pgid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                return

    def stop(self) -> None:
        self._stop.set()
