"""The directories of one sandboxed job, split by who may write them.

::

    grader-job-PID-XXXX/   0700, the checker's (PID: the process that made it); nothing else can reach into it
      inbox/           written only by the checker (program, inputs, data files); the sandbox sees it read-only
      scratch-N/       the student process's working directory, 0700 and owned by the sandbox's user;
                       a fresh one for every start, so nothing a crashed run planted is ever reused
      private/         the checker's own copies of what it read from the scratch (models), never mounted

The checker never follows a path the student can change: it writes only into ``inbox``
(``O_EXCL|O_NOFOLLOW`` relative to the inbox descriptor), and reads a result from the
scratch with ``O_NOFOLLOW|O_NONBLOCK`` relative to the scratch's descriptor, then checks
with ``fstat`` that it opened a regular file of bounded size before it reads a byte.

A worker killed in the middle of a job cannot delete its folder; the next job made in the
same place does (:func:`sweep_orphans`), once the process named in the folder's name is gone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from grader.i18n import _
from grader.sandbox.errors import StudentCrashed
from grader.untrusted import TooLarge, UnsafeFile, read_regular_file

PREFIX = "grader-job-"
ORPHAN = re.compile(re.escape(PREFIX) + r"([0-9]+)-")


class JobDir:
    """The private folder of one job: the checker's inbox, the student's scratch, the checker's private copies."""

    def __init__(self, parent: Path | None = None, owner: tuple[int, int] | None = None):
        sweep_orphans(Path(parent or tempfile.gettempdir()))
        self.root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent))
        self.inbox = self.root / "inbox"
        self.private = self.root / "private"
        self.inbox.mkdir(mode=0o755)
        self.private.mkdir(mode=0o700)
        self.inbox.chmod(0o755)  # readable by the sandbox's user, whatever the umask
        self._owner = owner
        self._inbox_fd = os.open(self.inbox, os.O_RDONLY | os.O_DIRECTORY)
        self._scratch_fd: int | None = None
        self._starts = 0
        self.scratch = self.root / "scratch"

    def new_scratch(self, files: tuple[Path, ...] = ()) -> Path:
        """A fresh, empty scratch for the next start, holding copies of ``files``; the old one is deleted."""
        self._close_scratch()
        self._starts += 1
        self.scratch = self.root / f"scratch-{self._starts}"
        self.scratch.mkdir(mode=0o700)
        for folder in ("home", "tmp"):
            (self.scratch / folder).mkdir(mode=0o700)
        for source in files:  # written before any student code has seen this folder
            shutil.copyfile(source, self.scratch / source.name)
        if self._owner is not None:
            for path in (self.scratch, self.scratch / "home", self.scratch / "tmp",
                         *(self.scratch / s.name for s in files)):
                os.chown(path, *self._owner, follow_symlinks=False)
        self._scratch_fd = os.open(self.scratch, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        return self.scratch

    def put(self, name: str, data: bytes) -> Path:
        """Write ``data`` as ``inbox/name`` (a new file: an existing one is an error, links are never followed)."""
        _write_new(name, data, 0o644, self._inbox_fd)
        return self.inbox / name

    def read_result(self, name: str, max_bytes: int) -> bytes:
        """The bytes of the file ``name`` the student process wrote in its scratch.

        Raises StudentCrashed when it is missing, not a regular file (a link, a FIFO, a
        device, a folder) or larger than ``max_bytes``; never blocks, never follows a link.
        """
        if self._scratch_fd is None or "/" in name or name in ("", ".", ".."):
            raise StudentCrashed(_("the student process did not write its result file"))
        try:
            return read_regular_file(name, max_bytes, dir_fd=self._scratch_fd)
        except TooLarge:
            raise StudentCrashed(_("the student's result file is over {mb} MiB", mb=max_bytes >> 20)) from None
        except UnsafeFile:
            raise StudentCrashed(_("the student's result file is not a plain file")) from None
        except OSError:
            raise StudentCrashed(_("the student process did not write its result file")) from None

    def keep_private(self, name: str, data: bytes) -> Path:
        """Store ``data`` where only the checker can read and write it; returns its path."""
        _write_new(self.private / name, data, 0o600)
        return self.private / name

    def _close_scratch(self) -> None:
        if self._scratch_fd is not None:
            os.close(self._scratch_fd)
            self._scratch_fd = None
            remove_tree(self.scratch)

    def close(self) -> None:
        """Delete everything of the job (a second call does nothing)."""
        self._close_scratch()
        if self._inbox_fd is not None:
            os.close(self._inbox_fd)
            self._inbox_fd = None
        remove_tree(self.root)


def _write_new(path: Path | str, data: bytes, mode: int, dir_fd: int | None = None) -> None:
    """Create ``path`` (relative to ``dir_fd`` when given) and write ``data``; never an existing file or a link."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=dir_fd)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def sweep_orphans(folder: Path) -> None:
    """Delete the job folders in ``folder`` left by processes that no longer exist (killed workers).

    A folder whose process is alive, or whose pid now belongs to another process, is kept:
    the sweep only ever errs on the side of leaving a folder.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        found = ORPHAN.match(entry.name)
        if found and entry.is_dir(follow_symlinks=False) and not _alive(int(found.group(1))):
            remove_tree(Path(entry.path))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, another user's
    return True


def remove_tree(path: Path) -> None:
    """Delete ``path`` and everything in it, at any depth and path length; never raises.

    Student code may leave folders thousands of levels deep, paths longer than PATH_MAX and
    folders without permissions. The walk holds one descriptor at a time (it climbs back with
    ``..``: nothing runs in the folder any more), makes each folder writable before it enters,
    never follows a link, and gives up quietly on an error rather than fail the job.
    """
    try:
        folder = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return
    names: list[str] = []
    try:
        while True:
            child = _remove_files(folder)
            if child is not None:
                os.chmod(child, 0o700, dir_fd=folder)
                inner = os.open(child, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
                os.close(folder)
                folder = inner
                names.append(child)
            elif names:
                parent = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder)
                os.close(folder)
                folder = parent
                os.rmdir(names.pop(), dir_fd=folder)
            else:
                break
    except OSError:
        return
    finally:
        os.close(folder)
    try:
        os.rmdir(path)
    except OSError:
        pass


def _remove_files(folder: int) -> str | None:
    """Unlink everything but folders in the folder ``folder``; the name of one subfolder, if it has any."""
    found = None
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                found = found or entry.name
            else:
                os.unlink(entry.name, dir_fd=folder)
    return found
