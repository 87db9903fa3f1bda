"""Memory caps for a student process tree, without RLIMIT_AS (which breaks TensorFlow and CUDA).

A cgroup is used where the host lets the harness create one (cgroup v2, or v1's
memory controller); otherwise a watchdog thread sums the RSS of the process
tree and kills it when it goes over the cap.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import psutil

CGROUP_V2 = Path("/sys/fs/cgroup")
CGROUP_V1 = Path("/sys/fs/cgroup/memory")


class MemoryCap:
    """Interface: wrap the command, watch it, tell whether the cap was hit, clean up."""

    kind = "none"

    def __init__(self, limit_bytes: int):
        self.limit_bytes = limit_bytes

    def wrap(self, argv: list[str]) -> list[str]:
        """The argv that starts ``argv`` under the cap."""
        return argv

    def watch(self, pid: int) -> None:
        """Start watching the process tree rooted at ``pid``."""

    def exceeded(self) -> bool:
        """Whether the process tree ran into the cap."""
        return False

    def peak_bytes(self) -> int:
        """The most memory the process tree used so far (0 when unknown)."""
        return 0

    def close(self) -> None:
        """Kill whatever is left under the cap and release it."""


class CgroupMemoryCap(MemoryCap):
    """A fresh cgroup per student process; a shell puts itself in it, then execs the sandbox."""

    def __init__(self, limit_bytes: int, parent: Path, version: int):
        super().__init__(limit_bytes)
        self.kind = f"cgroup-v{version}"
        self.path = parent / f"grader-{uuid.uuid4().hex[:12]}"
        self.path.mkdir()
        limit_file = "memory.max" if version == 2 else "memory.limit_in_bytes"
        (self.path / limit_file).write_text(str(limit_bytes))
        if version == 2 and (self.path / "memory.swap.max").exists():
            (self.path / "memory.swap.max").write_text("0")
        self.version = version

    def wrap(self, argv: list[str]) -> list[str]:
        procs = self.path / "cgroup.procs"
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(procs), *argv]

    def exceeded(self) -> bool:
        """Whether the kernel OOM-killed a process of the cgroup.

        Hitting the limit alone (v2's ``max`` event, v1's ``failcnt``) is not enough: the
        page cache of written files is charged too and is reclaimed there without a kill.
        """
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        fields = (self.path / name).read_text().split()
        counts = dict(zip(fields[::2], fields[1::2]))
        if "oom_kill" in counts:
            return int(counts["oom_kill"]) > 0
        # Kernels before 4.13 do not count kills: fall back to "the limit was hit".
        if self.version == 2:
            return int(counts.get("max", 0)) > 0
        return int((self.path / "memory.failcnt").read_text()) > 0

    def peak_bytes(self) -> int:
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        try:
            return int((self.path / name).read_text())
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        if not self.path.exists():
            return
        for _ in range(50):
            pids = [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
            threading.Event().wait(0.02)
        try:
            self.path.rmdir()
        except OSError:
            pass


class WatchdogMemoryCap(MemoryCap):
    """Polls the RSS of the process tree every 50 ms and kills it when over the cap."""

    kind = "rss-watchdog"

    def __init__(self, limit_bytes: int):
        super().__init__(limit_bytes)
        self._hit = False
        self._peak = 0
        self._stop = threading.Event()

    def watch(self, pid: int) -> None:
        threading.Thread(target=self._poll, args=(pid,), daemon=True).start()

    def _poll(self, pid: int) -> None:
        try:
            root = psutil.Process(pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.wait(0.05):
            try:
                tree = [root, *root.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in tree)
            except psutil.NoSuchProcess:
                continue
            except psutil.Error:
                return
            self._peak = max(self._peak, rss)
            if rss > self.limit_bytes:
                self._hit = True
                for process in reversed(tree):
                    try:
                        process.kill()
                    except psutil.Error:
                        pass
                return

    def exceeded(self) -> bool:
        return self._hit

    def peak_bytes(self) -> int:
        return self._peak

    def close(self) -> None:
        self._stop.set()


def _writable_cgroup() -> tuple[Path, int] | None:
    if (CGROUP_V2 / "cgroup.controllers").exists() and "memory" in (CGROUP_V2 / "cgroup.subtree_control").read_text():
        parent, version = CGROUP_V2, 2
    elif (CGROUP_V1 / "memory.limit_in_bytes").exists():
        parent, version = CGROUP_V1, 1
    else:
        return None
    return (parent, version) if os.access(parent, os.W_OK) else None


def memory_cap(limit_bytes: int) -> MemoryCap:
    """The strongest cap this host allows: a cgroup, else the RSS watchdog."""
    found = _writable_cgroup()
    if found is not None:
        try:
            return CgroupMemoryCap(limit_bytes, *found)
        except OSError:
            pass
    return WatchdogMemoryCap(limit_bytes)
