"""A cap on what the student process writes into its scratch directory (a host folder).

Each file is already limited by RLIMIT_FSIZE; this bounds their total. A thread
sums the folder every 100 ms and kills the process group when it is over the cap.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path


def folder_bytes(folder: Path) -> int:
    """Bytes of all regular files under ``folder`` (links are not followed)."""
    total = 0
    stack = [str(folder)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
    return total


class DiskWatch:
    """Kills process group ``pgid`` once ``folder`` holds more than ``limit_bytes``."""

    def __init__(self, folder: Path, limit_bytes: int, pgid: int):
        self.folder, self.limit_bytes, self.pgid = folder, limit_bytes, pgid
        self.exceeded = False
        self._stop = threading.Event()
        threading.Thread(target=self._poll, daemon=True).start()

    def _poll(self) -> None:
        while not self._stop.wait(0.1):
            if folder_bytes(self.folder) > self.limit_bytes:
                self.exceeded = True
                try:
                    os.killpg(self.pgid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                return

    def stop(self) -> None:
        self._stop.set()
