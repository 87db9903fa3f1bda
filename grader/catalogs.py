"""The message catalogs: every message extracted with Babel, merged into each language's ``.po``, compiled.

``make messages`` (``python -m grader.catalogs``) runs the three steps; translators then fill in the
empty ``msgstr`` entries of the ``.po`` files and run it again. ``python -m grader.catalogs --check``
changes nothing and fails when a catalog is behind the code: a message without its entry, an entry
whose message is gone, an entry with no translation or a fuzzy one, or a ``.mo`` older than its ``.po``.

Two domains, because one of them must never reach students (see :mod:`grader.i18n`):

- ``grader``: ``_()``/``_n()`` in ``grader/`` and the templates' ``_()`` (``grader/locale/``);
- ``checks``: ``_()``/``_n()`` in ``assignments/*/grading/checks.py``, each ``@check``'s title (its
  docstring's first line) and the visible messages of the source notebooks (``assignments/locale/``).
"""

from __future__ import annotations

import argparse
import ast
import datetime
import io
import sys
from pathlib import Path
from typing import Iterator

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from grader import i18n, paths
from grader.notebook.editions import visible_messages

KEYWORDS = {"_": None, "_n": (1, 2)}
PROJECT = "cnn-grader"
# A fixed date in the catalogs' headers, so that extracting again changes a .po only when a message does.
CREATED = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)


def grader_sources() -> list[tuple[Path, str]]:
    """The files of the ``grader`` domain with their extraction method."""
    package = Path(i18n.__file__).resolve().parent
    files = [(p, "python") for p in sorted(package.rglob("*.py")) if "locale" not in p.parts]
    files += [(p, "jinja2") for p in sorted((package / "templates").glob("*.html"))]
    return files


def checks_sources(assignments: Path | None = None) -> list[tuple[Path, str]]:
    """The files of the ``checks`` domain with their extraction method."""
    root = assignments or paths.assignments_root()
    files = [(p, "checks") for p in sorted(root.glob("*/grading/checks.py"))]
    files += [(p, "notebook") for p in sorted(root.glob("*/*.ipynb")) if p.stem == p.parent.name]
    return files


def domains() -> dict[str, tuple[list[tuple[Path, str]], Path]]:
    """Each domain's sources and the folder of its catalogs."""
    return {i18n.GRADER_DOMAIN: (grader_sources(), i18n.GRADER_LOCALE),
            i18n.CHECKS_DOMAIN: (checks_sources(), i18n.checks_locale())}


def template(sources: list[tuple[Path, str]]) -> Catalog:
    """Every message of ``sources``: the catalog each language's ``.po`` is updated from."""
    catalog = Catalog(project=PROJECT, fuzzy=False, creation_date=CREATED)
    root = paths.project_root()
    for path, method in sources:
        where = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        for lineno, message, comments in _extract(path, method):
            catalog.add(message, locations=[(where, lineno)], auto_comments=comments,
                        flags=("python-brace-format",) if _has_fields(message) else ())
    return catalog


def _extract(path: Path, method: str) -> Iterator[tuple[int, str | tuple[str, str], list[str]]]:
    if method == "notebook":
        yield from _notebook_messages(path)
        return
    data = path.read_bytes()
    if method == "checks":
        yield from _check_titles(data.decode("utf-8"))
        method = "python"
    extractor = "jinja2.ext:babel_extract" if method == "jinja2" else "python"
    for lineno, message, comments, _context in extract(extractor, io.BytesIO(data), KEYWORDS, strip_comment_tags=True):
        yield lineno, message, comments


def _check_titles(code: str) -> Iterator[tuple[int, str, list[str]]]:
    """The title of each ``@check``: its docstring's first line (what :func:`grader.checks.check` shows)."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.FunctionDef) and any(_is_check(d) for d in node.decorator_list):
            doc = ast.get_docstring(node)
            if doc:
                yield node.lineno, doc.strip().splitlines()[0], [f"title of the hidden check {node.name}"]


def _is_check(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Name) and target.id == "check"


def _notebook_messages(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code" or cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            continue
        for message in visible_messages(cell.source):
            comment = "an f-string: keep every {expression} as it is; no quotes of both kinds, no backslash" \
                if message.formatted else "shown by a visible test"
            yield index, message.msgid, [comment]


def _has_fields(message: str | tuple[str, str]) -> bool:
    texts = message if isinstance(message, tuple) else (message,)
    return any(i18n.placeholders(text) for text in texts)


def po_path(locale_dir: Path, language: str, domain: str) -> Path:
    return locale_dir / language / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(path: Path, language: str) -> Catalog:
    """The ``.po`` at ``path`` (an empty catalog of ``language`` when there is none yet)."""
    if not path.is_file():
        return Catalog(locale=language, project=PROJECT, fuzzy=False)
    with path.open("rb") as file:
        return read_po(file, locale=language)


def problems(domain: str, language: str, fresh: Catalog, po: Path) -> list[str]:
    """How the ``.po`` and ``.mo`` of ``domain`` in ``language`` lag behind ``fresh`` (the sources)."""
    catalog = read_catalog(po, language)
    where = f"{po.relative_to(paths.project_root()) if po.is_relative_to(paths.project_root()) else po}"
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in fresh if m.id}
    have = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    found = [f"{where}: no entry for {msgid!r}" for msgid in sorted(wanted - set(have))]
    found += [f"{where}: the entry {msgid!r} is no longer in the sources" for msgid in sorted(set(have) - wanted)]
    for msgid, entry in sorted(have.items()):
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(strings):
            found.append(f"{where}: {msgid!r} has no translation" + (" (fuzzy)" if entry.fuzzy else ""))
    mo = po.with_suffix(".mo")
    if po.is_file() and (not mo.is_file() or mo.read_bytes() != _compiled(catalog)):
        found.append(f"{where}: its .mo is not compiled from it (run make messages)")
    return found


def _compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def update(language: str, domain: str, fresh: Catalog, locale_dir: Path) -> Path:
    """Merge ``fresh`` into the ``.po`` of ``language`` (translations kept, gone entries dropped), compile it."""
    po = po_path(locale_dir, language, domain)
    catalog = read_catalog(po, language)
    catalog.update(fresh, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as file:
        write_po(file, catalog, width=100, sort_output=False, omit_header=False, include_previous=False)
    po.with_suffix(".mo").write_bytes(_compiled(read_catalog(po, language)))
    return po


def translated_languages() -> list[str]:
    return [language for language in i18n.LANGUAGES if language != i18n.SOURCE_LANGUAGE]


def main(argv: list[str] | None = None) -> int:
    """``python -m grader.catalogs [--check]``."""
    parser = argparse.ArgumentParser(prog="python -m grader.catalogs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; fail if a catalog is behind")
    args = parser.parse_args(argv)
    found = []
    for domain, (sources, locale_dir) in domains().items():
        fresh = template(sources)
        for language in translated_languages():
            po = po_path(locale_dir, language, domain)
            if not args.check:
                update(language, domain, fresh, locale_dir)
            found += problems(domain, language, fresh, po)
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"{len(found)} catalog problem(s): translate the empty msgstr entries, then run make messages",
              file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
