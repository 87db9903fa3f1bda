"""The bubblewrap command line that confines one student process.

The sandbox sees a read-only system (``/usr``, ``/etc``), the Python
installation and its site-packages, the runner script, the checker's inbox
(read-only) and one private scratch directory. Everything else (the project checkout with ``assignments/*/grading``
and ``reference/``, the course directory, the gradebook, other submissions,
``/root``, ``/home``, the harness's environment) simply does not exist inside.
Modules the assignment forbids are replaced by a package that refuses import.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from typing import Protocol

RUNNER = Path(__file__).with_name("runner.py")
BLOCKED_INIT = Path(__file__).with_name("blocked_module.py")
SANDBOX_RUNNER = "/opt/grader/runner.py"
SANDBOX_SCRATCH = "/scratch"
SANDBOX_INBOX = "/inbox"
SANDBOX_UID = 1000
TRUSTED_PACKAGES = ("grader", "reference")
# Every namespace but the user namespace, whose use depends on who runs the grader (see identity()).
NAMESPACES = ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Only what the dynamic linker, Python and matplotlib read; not /etc/shadow and friends.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group",
             "nsswitch.conf", "alternatives", "fonts", "mime.types")


class SandboxPaths(Protocol):
    """The two host folders a sandbox sees: the checker's inbox (read-only) and the student's scratch."""

    inbox: Path
    scratch: Path


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces on this host."""


def bwrap_path() -> str:
    """The bwrap executable, or a SandboxUnavailable that says how to install it."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so student code cannot be confined. "
            "Install it (Debian/Ubuntu: apt-get install bubblewrap) or, on a machine you "
            "do not care about, pass --unsafe-no-sandbox."
        )
    return path


def _system_mounts() -> list[str]:
    args = []
    for folder in SYSTEM_DIRS:
        path = Path(folder)
        if path.is_symlink():
            args += ["--symlink", str(path.readlink()), folder]
        elif path.is_dir():
            args += ["--ro-bind", folder, folder]
    for name in ETC_FILES:
        if Path("/etc", name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return args


def python_roots() -> list[Path]:
    """Folders the interpreter needs: its installation and the environment's prefix."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    return sorted(r for r in roots if not any(str(r).startswith(s + "/") for s in SYSTEM_DIRS))


def _parent_dirs(roots: list[Path]) -> list[str]:
    """Create the folders above each mounted path as 0755 (bwrap would copy host modes, and /root is 0700)."""
    parents = sorted({str(p) for root in roots for p in root.parents if p != Path("/")})
    return [arg for parent in parents for arg in ("--perms", "0755", "--dir", parent)]


def _package_dir(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def _visible(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots) or str(path).startswith("/usr/")


def hidden_mounts(forbidden: list[str], roots: list[Path]) -> list[str]:
    """Cover trusted packages with an empty dir, forbidden ones with a package that refuses import."""
    args = []
    for name in TRUSTED_PACKAGES:
        folder = _package_dir(name)
        if folder is not None and _visible(folder, roots):
            args += ["--tmpfs", str(folder)]
    for name in forbidden:
        folder = _package_dir(name)
        if folder is not None and _visible(folder, roots):
            args += ["--tmpfs", str(folder), "--ro-bind", str(BLOCKED_INIT), str(folder / "__init__.py")]
    return args


def gpu_mounts() -> list[str]:
    """The NVIDIA device nodes and the driver's view of the PCI bus, for assignments graded on a GPU."""
    devices = sorted(str(p) for p in Path("/dev").glob("nvidia*") if not p.is_dir())
    if not devices:
        return []
    args = [arg for device in devices for arg in ("--dev-bind", device, device)]
    return args + ["--ro-bind", "/sys", "/sys"]


def identity(host_uid: int | None) -> tuple[list[str], list[str]]:
    """bwrap options and the command prefix that set who the student process is on the host.

    A grader that is not root gets a user namespace mapping uid 1000 to its own uid, with
    new user namespaces disabled inside. A root grader gets no user namespace (one would
    map the sandbox to root): bwrap keeps only CAP_SETUID, CAP_SETGID and CAP_SETPCAP, and
    ``setpriv`` empties the capability bounding set and becomes the unprivileged ``host_uid``
    before the runner starts, which drops the rest.
    """
    if host_uid is None:
        return ["--unshare-user", "--disable-userns", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
                "--cap-drop", "ALL"], []
    setpriv = shutil.which("setpriv", path="/usr/bin:/bin")
    if setpriv is None:
        raise SandboxUnavailable("setpriv (util-linux) is missing: it drops root inside the sandbox")
    return (["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"],
            [setpriv, f"--reuid={host_uid}", f"--regid={host_uid}", "--clear-groups", "--inh-caps=-all",
             "--bounding-set=-all", "--"])


def command(job: SandboxPaths, program: str, forbidden: list[str], env: dict[str, str], *, gpu: bool = False,
            tmp_bytes: int = 256 << 20, shm_bytes: int = 64 << 20, seccomp_fd: int,
            host_uid: int | None = None) -> list[str]:
    """The full argv that runs the student runner on ``/inbox/PROGRAM`` in ``/scratch``."""
    roots = python_roots()
    options, prefix = identity(host_uid)
    args = [
        bwrap_path(), *NAMESPACES, *options,
        "--hostname", "sandbox", "--die-with-parent", "--new-session",
        *_system_mounts(),
        "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(shm_bytes), "--tmpfs", "/dev/shm",
        *(gpu_mounts() if gpu else []), "--remount-ro", "/dev",
        "--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp",
    ]
    args += _parent_dirs([*roots, Path(SANDBOX_RUNNER)])
    for root in roots:
        args += ["--ro-bind", str(root), str(root)]
    args += hidden_mounts(forbidden, roots)
    args += ["--ro-bind", str(RUNNER), SANDBOX_RUNNER, "--ro-bind", str(job.inbox), SANDBOX_INBOX,
             "--bind", str(job.scratch), SANDBOX_SCRATCH, "--chdir", "/", "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args + ["--seccomp", str(seccomp_fd), *prefix,
                   sys.executable, "-I", "-B", SANDBOX_RUNNER, SANDBOX_INBOX, SANDBOX_SCRATCH, program]


def probe() -> None:
    """Start an empty sandbox once; raise SandboxUnavailable with bwrap's own words if it cannot."""
    import subprocess

    argv = [bwrap_path(), "--unshare-all", "--unshare-user", "--die-with-parent", "--cap-drop", "ALL",
            *_system_mounts(), "--proc", "/proc", "--dev", "/dev", "true"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap cannot create a sandbox here ({done.stderr.strip() or done.returncode}). "
            "Allow user namespaces (e.g. sysctl kernel.unprivileged_userns_clone=1) or run as root; "
            "--unsafe-no-sandbox grades without confinement."
        )
