"""The bubblewrap command line that confines one student process.

The sandbox sees a read-only system (``/usr``, ``/etc``), the Python
installation and its site-packages, the runner script and one private scratch
directory. Everything else (the project checkout with ``assignments/*/grading``
and ``reference/``, the course directory, the gradebook, other submissions,
``/root``, ``/home``, the harness's environment) simply does not exist inside.
Modules the assignment forbids are replaced by a package that refuses import.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

RUNNER = Path(__file__).with_name("runner.py")
BLOCKED_INIT = Path(__file__).with_name("blocked_module.py")
SANDBOX_RUNNER = "/opt/grader/runner.py"
SANDBOX_SCRATCH = "/scratch"
SANDBOX_UID = 1000
TRUSTED_PACKAGES = ("grader", "reference")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Only what the dynamic linker, Python and matplotlib read; not /etc/shadow and friends.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group",
             "nsswitch.conf", "alternatives", "fonts", "mime.types")


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


def command(scratch: Path, forbidden: list[str], env: dict[str, str], *, gpu: bool = False,
            tmp_bytes: int = 256 << 20) -> list[str]:
    """The full argv that runs the student runner on ``scratch/program.json``."""
    roots = python_roots()
    args = [
        bwrap_path(),
        "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--hostname", "sandbox", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        *_system_mounts(),
        "--proc", "/proc", "--dev", "/dev", "--size", str(tmp_bytes), "--tmpfs", "/tmp",
        *(gpu_mounts() if gpu else []),
    ]
    for root in roots:
        args += ["--ro-bind", str(root), str(root)]
    args += hidden_mounts(forbidden, roots)
    args += ["--ro-bind", str(RUNNER), SANDBOX_RUNNER,
             "--bind", str(scratch), SANDBOX_SCRATCH, "--chdir", SANDBOX_SCRATCH, "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args + [sys.executable, "-I", "-B", SANDBOX_RUNNER, f"{SANDBOX_SCRATCH}/program.json"]


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
