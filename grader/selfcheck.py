"""The students' self-check: a wheel of ``grader validate`` that holds nothing a student may not see.

The package TAs install (``cnn-grader``) holds ``reference/`` (the solutions) and finds
``assignments/*/grading/``; students never receive either. So the self-check is a distribution
of its own, built from an explicit list of this package's files, byte for byte (the same rebuild,
the same runner and sandbox code; nothing is forked), plus a ``grader`` command whose only
subcommand is ``validate``::

    python -m grader.selfcheck            # build/selfcheck/cnn_grader_selfcheck-VERSION-py3-none-any.whl
    pip install cnn_grader_selfcheck-VERSION-py3-none-any.whl       # a student, once
    grader validate conv2d.ipynb                                    # beside release/conv2d/

It needs only the standard library to build (a wheel is a zip with three metadata files), so it
works offline and gives the same bytes for the same sources. The build refuses a module list whose
imports reach outside it (a new ``from grader.x import`` in a listed module must be listed or
removed), and anything under ``reference/``, ``assignments/`` or ``release/``: the self-check reads
the released notebooks a student was given, it never ships them. Do not install it beside
``cnn-grader``: both provide the ``grader`` package and command.
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import io
import sys
import tomllib
import zipfile
from pathlib import Path

DIST = "cnn-grader-selfcheck"
ROOT = Path(__file__).resolve().parent.parent
#: The modules ``grader validate`` runs on, besides the whole sandbox package (which holds no secrets).
MODULES = (
    "grader/__init__.py", "grader/errors.py", "grader/paths.py", "grader/config.py", "grader/untrusted.py",
    "grader/validate.py", "grader/commands/__init__.py", "grader/commands/validate.py",
    "grader/notebook/__init__.py", "grader/notebook/cells.py", "grader/notebook/rebuild.py",
    "grader/notebook/submission.py", "grader/notebook/editions.py", "grader/i18n.py",
)
#: The compiled catalogs of the ``grader`` domain (the hidden checks' ``checks`` domain never goes to students).
CATALOGS = "grader/locale/*/LC_MESSAGES/grader.mo"
SANDBOX = "grader/sandbox"
REQUIRES = ("numpy>=2.0", "nbformat>=5.9", "psutil>=5.9", "Babel>=2.12",
            # the seccomp filter of the sandbox, which only Linux has
            'pyseccomp>=0.1.2; sys_platform == "linux"')
ENTRY_POINTS = "[console_scripts]\ngrader = grader.commands.validate:student_main\n"
NEVER = ("reference/", "assignments/", "release/")
SUMMARY = "grader validate: check a notebook of the CNN course the way the grader runs it (visible tests only)"
DESCRIPTION = """\
Run `grader validate NOTEBOOK` beside the released folder of the assignment (release/NAME/, holding
NAME.ipynb and its data files). It rebuilds your notebook the way the grader does (your solution
cells, the released test cells), runs it in the grader's sandbox where bubblewrap works (Linux) and
without it elsewhere (it says so), and prints every visible test's outcome with its whole message.
Hidden checks are not part of it.
"""
DATE = (1980, 1, 1, 0, 0, 0)


class BuildError(RuntimeError):
    """The module list is not self-contained or names a file students may not have."""


def version() -> str:
    """The version of the checkout's pyproject.toml (the self-check is released with the package)."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def files(root: Path = ROOT) -> list[str]:
    """The paths, relative to ``root``, that the wheel holds besides its metadata, sorted."""
    sandbox = sorted(p.relative_to(root).as_posix() for p in (root / SANDBOX).glob("*.py"))
    catalogs = sorted(p.relative_to(root).as_posix() for p in root.glob(CATALOGS))
    chosen = sorted({*MODULES, *sandbox})
    for path in chosen:
        if path.startswith(NEVER) or not path.startswith("grader/") or not path.endswith(".py"):
            raise BuildError(f"{path}: the self-check holds only modules of the grader package")
        if not (root / path).is_file():
            raise BuildError(f"{root / path}: listed in grader.selfcheck but missing")
    _check_closed(root, chosen)
    return sorted(chosen + catalogs)


def _module(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _check_closed(root: Path, chosen: list[str]) -> None:
    """Every ``grader`` module a listed module imports (anywhere in it) is listed too."""
    have = {_module(p) for p in chosen}
    for path in chosen:
        for node in ast.walk(ast.parse((root / path).read_text(), path)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                     if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                top = name.partition(".")[0]
                if top == "reference":
                    raise BuildError(f"{path} imports {name}: the solutions never go to students")
                if top == "grader" and name not in have and _is_module(root, name):
                    raise BuildError(f"{path} imports {name}, which the self-check does not hold: list it in "
                                     "grader.selfcheck.MODULES (if students may have it) or drop the import")


def _is_module(root: Path, name: str) -> bool:
    """Whether ``name`` is a module of the source tree (``from grader.x import y``: y may be a name in grader.x)."""
    path = root / name.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def metadata(ver: str) -> dict[str, bytes]:
    """The .dist-info files but RECORD: METADATA, WHEEL, entry_points.txt, top_level.txt."""
    lines = [
        "Metadata-Version: 2.1", f"Name: {DIST}", f"Version: {ver}", f"Summary: {SUMMARY}",
        "Requires-Python: >=3.11", *(f"Requires-Dist: {r}" for r in REQUIRES),
        "Description-Content-Type: text/markdown",
    ]
    wheel = ["Wheel-Version: 1.0", "Generator: grader.selfcheck", "Root-Is-Purelib: true", "Tag: py3-none-any"]
    return {"METADATA": ("\n".join(lines) + "\n\n" + DESCRIPTION).encode(), "WHEEL": ("\n".join(wheel) + "\n").encode(),
            "entry_points.txt": ENTRY_POINTS.encode(), "top_level.txt": b"grader\n"}


def build(out: Path, root: Path = ROOT, ver: str | None = None) -> Path:
    """Write the wheel into ``out`` and return its path (the same sources give the same bytes)."""
    ver = ver or version()
    name = DIST.replace("-", "_")
    info = f"{name}-{ver}.dist-info"
    contents = {path: (root / path).read_bytes() for path in files(root)}
    contents |= {f"{info}/{key}": data for key, data in metadata(ver).items()}
    record = "".join(f"{path},{_digest(data)},{len(data)}\n" for path, data in contents.items())
    contents[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in contents.items():
            entry = zipfile.ZipInfo(path, DATE)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"{name}-{ver}-py3-none-any.whl"
    wheel.write_bytes(buffer.getvalue())
    return wheel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.selfcheck", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "selfcheck", help="folder for the wheel")
    args = parser.parse_args(argv)
    try:
        wheel = build(args.out)
    except BuildError as error:
        print(f"grader.selfcheck: {error}", file=sys.stderr)
        return 2
    names = zipfile.ZipFile(wheel).namelist()
    print(f"{wheel} ({wheel.stat().st_size // 1024} KiB, {len(names)} files: "
          f"{sum(n.endswith('.py') for n in names)} modules of the grader package and the wheel's metadata)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
