"""Memory and process caps for a student process tree, without RLIMIT_AS (which breaks TensorFlow and CUDA).

A cgroup is used where the host lets the harness create one (cgroup v2, or v1's
memory controller); otherwise a watchdog thread sums the RSS of the process
tree and kills it when it goes over the cap. The same cgroup caps the number of
processes and threads through the ``pids`` controller where the host has it
(RLIMIT_NPROC, the fallback, counts every process of a uid and is not enforced for root).
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import psutil

CGROUP_V2 = Path("/sys/fs/cgroup")
CGROUP_V1 = Path("/sys/fs/cgroup/memory")
CGROUP_V1_PIDS = Path("/sys/fs/cgroup/pids")


class MemoryCap:
    """Interface: wrap the command, watch it, tell whether the cap was hit, clean up."""

    kind = "none"
    #: whether the cap also limits the number of processes and threads (the cgroup pids controller)
    caps_processes = False

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
    """A fresh cgroup per student process; a shell puts itself in it, then execs the sandbox.

    ``pids_parent`` (cgroup v1's pids hierarchy; for v2 the same folder) also caps the
    process count at ``max_pids`` when given.
    """

    def __init__(self, limit_bytes: int, parent: Path, version: int, pids_parent: Path | None = None,
                 max_pids: int | None = None):
        super().__init__(limit_bytes)
        self.kind = f"cgroup-v{version}"
        name = f"grader-{uuid.uuid4().hex[:12]}"
        self.path = parent / name
        self.path.mkdir()
        self.version = version
        self.folders = [self.path]
        limit_file = "memory.max" if version == 2 else "memory.limit_in_bytes"
        (self.path / limit_file).write_text(str(limit_bytes))
        if version == 2 and (self.path / "memory.swap.max").exists():
            (self.path / "memory.swap.max").write_text("0")
        if pids_parent is not None and max_pids is not None:
            try:
                self._cap_pids(pids_parent / name, max_pids)
            except OSError:
                self.close()
                raise

    def _cap_pids(self, folder: Path, max_pids: int) -> None:
        if folder != self.path:
            folder.mkdir()
            self.folders.append(folder)
        (folder / "pids.max").write_text(str(max_pids))
        self.caps_processes = True

    def wrap(self, argv: list[str]) -> list[str]:
        for folder in self.folders:  # the shell joins each hierarchy in turn, keeping its pid, then execs
            argv = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(folder / "cgroup.procs"), *argv]
        return argv

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
        for folder in self.folders:
            _empty_and_remove(folder)


def _empty_and_remove(folder: Path) -> None:
    """Kill every process left in the cgroup ``folder``, then remove it."""
    if not folder.exists():
        return
    for _ in range(50):
        pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        threading.Event().wait(0.02)
    try:
        folder.rmdir()
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


def _writable_cgroup() -> tuple[Path, int, Path | None] | None:
    """(memory parent, version, pids parent or None) of a cgroup hierarchy the harness may write."""
    if (CGROUP_V2 / "cgroup.controllers").exists():
        controllers = (CGROUP_V2 / "cgroup.subtree_control").read_text().split()
        if "memory" not in controllers or not os.access(CGROUP_V2, os.W_OK):
            return None
        return CGROUP_V2, 2, CGROUP_V2 if "pids" in controllers else None
    if not (CGROUP_V1 / "memory.limit_in_bytes").exists() or not os.access(CGROUP_V1, os.W_OK):
        return None
    pids = (CGROUP_V1_PIDS / "pids.max").exists() or (CGROUP_V1_PIDS / "cgroup.procs").exists()
    return CGROUP_V1, 1, CGROUP_V1_PIDS if pids and os.access(CGROUP_V1_PIDS, os.W_OK) else None


def memory_cap(limit_bytes: int, max_pids: int | None = None) -> MemoryCap:
    """The strongest cap this host allows: a cgroup (with ``max_pids`` where it can), else the RSS watchdog."""
    found = _writable_cgroup()
    if found is not None:
        parent, version, pids_parent = found
        try:
            return CgroupMemoryCap(limit_bytes, parent, version, pids_parent, max_pids)
        except OSError:
            pass
    return WatchdogMemoryCap(limit_bytes)
