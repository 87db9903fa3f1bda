"""For students: run a notebook as the grader would (same rebuild, same runner), visible tests only.

Everything comes from the released material, which is all a student has (students never receive
``assignments/``, ``reference/`` or any grading file): the released notebook of the student's
edition, ``release/LANG/NAME/NAME.ipynb`` (LANG: the notebook's ``metadata.grader.language``, see
:func:`grader.notebook.editions.edition_of`), or ``release/NAME/NAME.ipynb`` of a release made before
editions, gives the test and locked cells, the solution cells' grade ids and the modules the
assignment uses; the files beside it are the data the program reads. The hidden
grading settings are not released, so validate uses the grader's default limits with time to spare
(a laptop is not a grading worker) and hides the frameworks the grader hides by default unless the
released notebook imports them itself.

Three ways to run the program, all through the grader's own runner (:mod:`grader.sandbox.runner`):

- ``sandbox``: bubblewrap and the seccomp filter, exactly as a grading job (Linux).
- ``unconfined``: the same runner and process handling without bubblewrap (a Mac, or Linux without
  it). The student's code runs with the student's own rights, as it does in Jupyter.
- ``portable``: Windows has no ``fork``, ``resource`` or process groups: a plain child process runs
  the runner's own :func:`~grader.sandbox.runner.run_program` on the program (no per-cell timer).

Every visible test cell runs through :data:`PRELUDE`, which keeps its error message whole (numpy's
mismatch count and largest difference come after the first line, which is all the runner reports).

What validate says (a report's warnings, why a notebook is ungradable, why a run failed, what is
wrong with the release) is a :class:`grader.i18n.Message`, which ``grader validate`` shows in the
language of the notebook's edition.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nbformat import NotebookNode

from grader import paths
from grader.config import AssignmentConfig, SandboxLimits
from grader.errors import UserError
from grader.i18n import LANGUAGES, SOURCE_LANGUAGE, Explained, Message, _, _n
from grader.notebook.cells import grade_id, is_graded, is_solution, nbgrader_meta
from grader.notebook.editions import edition_of
from grader.notebook.rebuild import rebuild, strip_magics
from grader.notebook.submission import MAX_NOTEBOOK_BYTES, Ungradable, parse_submission, read_submission
from grader.sandbox import protocol
from grader.sandbox.bwrap import RUNNER
from grader.sandbox.errors import StudentCrashed, StudentFailure, StudentTimeout

MODES = ("sandbox", "unconfined", "portable")
#: Modules a Keras notebook needs together: Keras 3 imports TensorFlow, its backend.
KERAS = frozenset({"keras", "tensorflow"})
MESSAGES_FILE = ".validate-messages.json"
PRELUDE_ID = "validate-prelude"
#: Kept of a test cell's error message when it is written, and shown of it.
MAX_KEPT_CHARS = 8000
MAX_SHOWN_LINES = 24
MAX_SHOWN_LINE_CHARS = 200
MAX_SHOWN_CHARS = 2400
MAX_MESSAGES_BYTES = 1 << 20
#: Defines ``__validate_test_cell__`` (run one test cell, keep its whole error message) and, where no
#: sandbox hides them, refuses the modules the assignment forbids with the sandbox's own words.
PRELUDE = '''\
def __validate_test_cell__(source, filename, _messages={}, _folder=__import__("os").getcwd()):
    """grader validate: run one visible test cell; keep its whole error message for the report."""
    try:
        exec(compile(source, filename, "exec"), globals())
    except BaseException as error:
        _messages[filename[6:-1]] = str(error)[:MAX_KEPT_CHARS]
        try:
            with open(__import__("os").path.join(_folder, MESSAGES_FILE), "w", encoding="utf-8") as out:
                __import__("json").dump(_messages, out)
        except OSError:
            pass
        raise


def __validate_hide__(forbidden):
    """Where no sandbox hides them: the forbidden modules import as the sandbox's stand-in, which refuses."""
    import importlib.abc
    import importlib.util
    import sys

    class Hidden(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path=None, target=None):
            return importlib.util.spec_from_loader(name, self) if name.partition(".")[0] in forbidden else None

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            raise ImportError(f"{module.__name__.partition('.')[0]} is not available in this assignment: "
                              "implement it with numpy (the grader hides this library from submissions)")

    sys.meta_path.insert(0, Hidden())
'''.replace("MAX_KEPT_CHARS", str(MAX_KEPT_CHARS)).replace("MESSAGES_FILE", repr(MESSAGES_FILE))
#: Windows: the runner's program loop in a plain child process (see :func:`_run_portable`).
PORTABLE_MAIN = '''\
import builtins, importlib.util, json, signal, sys, types
try:
    import resource  # noqa: F401
except ImportError:  # Windows: runner.py imports it, and only its lower_limits (not used here) needs it
    sys.modules["resource"] = types.ModuleType("resource")
spec = importlib.util.spec_from_file_location("grader_runner", sys.argv[1])
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)
if not hasattr(signal, "SIGALRM"):  # Windows: no timer signal, so no per-cell timer
    runner.signal = types.SimpleNamespace(SIGALRM=None, ITIMER_REAL=None, signal=lambda *a: None,
                                          setitimer=lambda *a: None)
with open(sys.argv[2], encoding="utf-8") as handle:
    program = json.load(handle)
result = sys.argv[3]
sys.argv = ["notebook"]
cells = runner.run_program(program["cells"], {"__name__": "__main__", "__builtins__": builtins},
                           program["test_cell_timeout"])
with open(result, "w", encoding="utf-8") as handle:
    json.dump({"ready": True, "cells": cells}, handle)
'''


class ReleaseError(Explained, UserError):
    """The released material cannot be found or read; ``.message`` says what to do."""


@dataclasses.dataclass
class Validation:
    """What a student needs to know before submitting (messages: :class:`~grader.i18n.Message`, "" for none)."""

    ungradable: Message | str = ""
    warnings: list[Message] = dataclasses.field(default_factory=list)
    cells: list[dict] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    failure: Message | str = ""

    @property
    def ok(self) -> bool:
        return not str(self.ungradable) and not str(self.failure) and all(c.get("ok") for c in self.cells)


# ----------------------------------------------------------------------------- the released material

@dataclasses.dataclass(frozen=True)
class Release:
    """An assignment as a student has it: the released notebook and the data files beside it.

    ``in_place``: no untouched copy was found, only the student's own notebook, which is the released
    file itself (edited in place, as Jupyter does): its released cells are recovered from it
    (:func:`released_cells`) and checked against the checksums nbgrader stored in them.
    """

    name: str
    notebook_path: Path
    in_place: bool = False

    @property
    def folder(self) -> Path:
        return self.notebook_path.parent

    @functools.cached_property
    def notebook(self) -> NotebookNode:
        """The released notebook (``in_place``: as recovered from the student's copy); a broken one is a UserError."""
        try:
            notebook = read_notebook(self.notebook_path)
        except Ungradable as reason:
            raise ReleaseError(_("{path}: not a usable released notebook ({reason})",
                                 path=str(self.notebook_path), reason=reason.message)) from None
        return released_cells(notebook)[0] if self.in_place else notebook

    def files(self) -> list[Path]:
        """The data files beside the notebook, which the program finds in its working directory."""
        return sorted(p for p in self.folder.iterdir()
                      if p.is_file() and p.suffix != ".ipynb" and not p.name.startswith("."))

    @functools.cached_property
    def imports(self) -> frozenset[str]:
        """Top-level modules the released code cells (not the solution cells) import."""
        found = set()
        for cell in self.notebook.cells:
            if cell.get("cell_type") == "code" and not is_solution(cell):
                found |= imported_modules(cell.source)
        return frozenset(found | KERAS if found & KERAS else found)

    @property
    def forbidden_modules(self) -> list[str]:
        """The grader's default hidden modules, less those the released notebook uses itself."""
        return [m for m in AssignmentConfig().forbidden_modules if m not in self.imports]

    @property
    def uses_keras(self) -> bool:
        return bool(self.imports & KERAS)


def imported_modules(source: str) -> set[str]:
    """Top-level names of the modules ``source`` imports (none when it does not parse)."""
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError:
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.partition(".")[0])
    return found


def release_roots(notebook: Path, extra: tuple[Path, ...] = ()) -> list[Path]:
    """Folders named ``release`` where a student's released material may be, nearest first.

    Beside the notebook and above it, in the current folder and above it, then ``extra`` and the
    package's own release folder (a checkout, or ``$GRADER_HOME``).
    """
    roots: list[Path] = []
    for start in (notebook.resolve().parent, Path.cwd().resolve()):
        roots += [folder / "release" for folder in (start, *start.parents)]
    roots += [*extra, paths.release_root()]
    unique = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def release_candidates(root: Path, name: str, language: str) -> tuple[Path, Path]:
    """Where ``root`` (a release folder) may hold ``name``'s released notebook for an edition of ``language``.

    The edition's own folder first (``ROOT/LANG/NAME/NAME.ipynb``), then the layout of a release made
    before editions (``ROOT/NAME/NAME.ipynb``).
    """
    return root / language / name / f"{name}.ipynb", root / name / f"{name}.ipynb"


def known_assignments(roots: list[Path]) -> list[str]:
    """Names of the assignments released under ``roots``, in any edition (``ROOT/[LANG/]NAME/NAME.ipynb``)."""
    found = set()
    for root in roots:
        if not root.is_dir():
            continue
        folders = [root, *(root / language for language in LANGUAGES if (root / language).is_dir())]
        found |= {p.name for folder in folders for p in folder.iterdir() if (p / f"{p.name}.ipynb").is_file()}
    return sorted(found)


def notebook_language(path: Path) -> str:
    """The language of the edition of the notebook at ``path``; English when it says none or cannot be read."""
    try:
        return edition_of(read_notebook(Path(path)))
    except Ungradable:
        return SOURCE_LANGUAGE


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def find_release(name: str | None, notebook: Path, *, release: Path | None = None,
                 extra_roots: tuple[Path, ...] = (), language: str | None = None) -> Release:
    """The released material of ``name`` (default: the notebook's file name) for the student's ``notebook``.

    ``language`` is the notebook's edition (default: read from it, :func:`notebook_language`): in each
    release folder, that edition's folder ``LANG/NAME/`` is looked at first, then ``NAME/`` (a release
    made before editions). ``release`` (``--release``) is the released folder itself (holding
    ``NAME.ipynb``) or a release folder holding it; otherwise :func:`release_roots` are searched,
    nearest first. A renamed notebook gets the names it could be.
    """
    name = name or notebook.stem
    language = language if language in LANGUAGES else notebook_language(notebook)
    if release is not None:
        for path in (release / f"{name}.ipynb", *release_candidates(release, name, language)):
            if path.is_file():
                return Release(name, notebook, in_place=True) if _same_file(path, notebook) else Release(name, path)
        raise ReleaseError(_("{folder}: no {name}.ipynb in it, in {edition_folder} or in {name_folder} (--release "
                             "names the folder you were given for {name}, or the folder holding it)",
                             folder=str(release), name=name, edition_folder=str(release / language / name),
                             name_folder=str(release / name)))
    roots = release_roots(notebook, extra_roots)
    for root in roots:
        for path in release_candidates(root, name, language):
            if path.is_file() and not _same_file(path, notebook):
                return Release(name, path)
    known = known_assignments(roots)
    if name in known or not known:  # only the notebook itself: it is the released file, edited in place
        return Release(name, notebook, in_place=True)
    guess = _guess(notebook, roots, known, language)
    if guess:
        raise ReleaseError(_("{notebook}: no released assignment named '{name}' (looked for "
                             "release/{language}/{name}/{name}.ipynb and release/{name}/{name}.ipynb beside the "
                             "notebook, in the current folder and above). Known: {known}; it looks like {guess}: "
                             "grader validate {notebook} --assignment {guess} (or --release FOLDER)",
                             notebook=notebook.name, name=name, language=language, known=", ".join(known),
                             guess=guess))
    raise ReleaseError(_("{notebook}: no released assignment named '{name}' (looked for "
                         "release/{language}/{name}/{name}.ipynb and release/{name}/{name}.ipynb beside the "
                         "notebook, in the current folder and above). Known: {known}; if it is your copy of one "
                         "of them, name the assignment: grader validate {notebook} --assignment NAME "
                         "(or --release FOLDER)",
                         notebook=notebook.name, name=name, language=language, known=", ".join(known)))


def _guess(notebook: Path, roots: list[Path], known: list[str], language: str) -> str | None:
    """The one known assignment whose solution cells the notebook has, if exactly one fits."""
    try:
        mine = {grade_id(c) for c in read_notebook(notebook).cells if is_solution(c)}
    except Ungradable:
        return None
    fits = []
    for name in known:
        # the edition's notebook, else any edition's: every edition has the same solution cells
        candidates = [p for lang in (language, *LANGUAGES) for root in roots
                      for p in release_candidates(root, name, lang)]
        path = next(p for p in candidates if p.is_file())
        try:
            wanted = {grade_id(c) for c in read_notebook(path).cells if is_solution(c)}
        except Ungradable:
            continue
        if wanted and wanted <= mine:
            fits.append(name)
    return fits[0] if len(fits) == 1 else None


def read_notebook(path: Path) -> NotebookNode:
    """A notebook read the way the grader reads submissions (bounded), or :class:`Ungradable`."""
    if hasattr(os, "O_NOFOLLOW"):
        return read_submission(path)
    try:  # Windows has no O_NOFOLLOW: the student's own file on the student's own machine
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise Ungradable(_("the notebook is over the {limit} MiB limit: clear the outputs",
                               limit=MAX_NOTEBOOK_BYTES >> 20))
        data = path.read_bytes()
    except OSError:
        raise Ungradable(_("{file} is missing or unreadable", file=path.name)) from None
    return parse_submission(data)


# ----------------------------------------------------------------------------- checks of the notebook

def nbgrader_checksum(cell: NotebookNode) -> str:
    """The checksum nbgrader stores in a released cell's metadata (``nbgrader.utils.compute_checksum``)."""
    meta = nbgrader_meta(cell)
    grade, solution = bool(meta.get("grade")), bool(meta.get("solution"))
    locked = False if solution else True if grade else bool(meta.get("locked", False))
    digest = hashlib.md5()
    for part in (cell.source, cell.cell_type, str(grade), str(solution), str(locked), meta.get("grade_id", "")):
        digest.update(str(part).encode("utf-8"))
    if grade:
        digest.update(str(float(meta.get("points", 0))).encode("utf-8"))
    return digest.hexdigest()


def released_cells(notebook: NotebookNode) -> tuple[NotebookNode, list[Message]]:
    """The released notebook recovered from a student's copy of it, and what was changed in it.

    Code cells without nbgrader metadata were added by the student (the grader ignores them); a test
    or locked cell whose source no longer matches the checksum nbgrader stored was edited (the grader
    runs the released version, which this copy no longer has).
    """
    cells, seen, warnings = [], set(), []
    for cell in notebook.cells:
        key = grade_id(cell)
        if cell.get("cell_type") != "code" or is_solution(cell):
            cells.append(cell)
            continue
        if key is None:
            continue
        if key in seen:
            warnings.append(_("the cell {cell} appears more than once: keep one copy", cell=key))
            continue
        seen.add(key)
        stored = nbgrader_meta(cell).get("checksum")
        if isinstance(stored, str) and stored != nbgrader_checksum(cell):
            if is_graded(cell):
                warnings.append(_("the test cell {cell} was edited: the grader runs the released version, so your "
                                  "results can differ from the grader's; restore it from a fresh copy of the "
                                  "notebook", cell=key))
            else:
                warnings.append(_("the cell {cell} was edited: the grader runs the released version, so your "
                                  "results can differ from the grader's; restore it from a fresh copy of the "
                                  "notebook", cell=key))
        cells.append(cell)
    return NotebookNode({**notebook, "cells": cells}), warnings


def extra_code_cells(source, submission) -> list[int]:
    """Indices of the student's code cells that the grader ignores (not solution cells, not from the release)."""
    known = {c.source.strip() for c in source.cells if c.get("cell_type") == "code" and not is_solution(c)}
    # solution cells are graded; edited test cells are reported by test_cell_warnings
    skip = {grade_id(c) for c in source.cells if is_solution(c) or is_graded(c)} - {None}
    return [i for i, c in enumerate(submission.cells)
            if c.get("cell_type") == "code" and grade_id(c) not in skip and c.source.strip()
            and c.source.strip() not in known]


MAX_OUTPUT_BYTES = 5 << 20


def output_bytes(submission) -> int:
    """Bytes the stored outputs of the notebook's code cells take (images, printed text, tracebacks)."""
    return sum(len(json.dumps(cell.get("outputs", []), ensure_ascii=False).encode())
               for cell in submission.cells if cell.get("cell_type") == "code")


def test_cell_warnings(release, submission) -> list[Message]:
    """Visible test cells of the release that the submission deleted, re-labelled or edited.

    The grader runs the released test cells whatever the notebook holds, so none of
    this changes the score; but the student's own run then tests something else
    than the grader does, and nbgrader's tools lose track of the cells.
    """
    tests = [c for c in release.cells if is_graded(c) and not is_solution(c) and c.get("cell_type") == "code"]
    by_id: dict[str, list] = {}
    for cell in submission.cells:
        if grade_id(cell):
            by_id.setdefault(grade_id(cell), []).append(cell)
    warnings = []
    for test in tests:
        key, code = grade_id(test), test.source.strip()
        mine = by_id.get(key, [])
        if not mine:
            twin = next((c for c in submission.cells
                         if c.get("cell_type") == "code" and c.source.strip() == code), None)
            if twin is not None and grade_id(twin):
                warnings.append(_("the test cell {cell} has grade id '{grade_id}' now (its metadata was changed): "
                                  "the grader runs the released cell anyway; restore it from the released notebook",
                                  cell=key, grade_id=grade_id(twin)))
            elif twin is not None:
                warnings.append(_("the test cell {cell} has no grade id now (its metadata was changed): the grader "
                                  "runs the released cell anyway; restore it from the released notebook", cell=key))
            else:
                warnings.append(_("the test cell {cell} was deleted or replaced: the grader runs the released "
                                  "cell anyway, so your results can differ from the grader's; restore it from the "
                                  "released notebook", cell=key))
        elif len(mine) > 1:
            warnings.append(_n("the test cell {cell} appears {count} time: keep one copy",
                               "the test cell {cell} appears {count} times: keep one copy", len(mine), cell=key))
        elif mine[0].source.strip() != code:
            warnings.append(_("the test cell {cell} was edited: the grader runs the released version, "
                              "so your results can differ from the grader's", cell=key))
    return warnings


def notebook_warnings(release, submission) -> list[Message]:
    """What makes a notebook fragile to grade, though it is gradable: test cells, output size."""
    warnings = test_cell_warnings(release, submission)
    size = output_bytes(submission)
    if size > MAX_OUTPUT_BYTES:
        warnings.append(_("the outputs take {size} MiB (more than {limit} MiB): clear outputs before submitting "
                          "(Kernel > Restart & Clear Output, then save)",
                          size=round(size / 2**20, 1), limit=MAX_OUTPUT_BYTES >> 20))
    return warnings


# ----------------------------------------------------------------------------- running the program

def limits(release: Release, timeout: float | None = None) -> SandboxLimits:
    """The grader's default limits, with the time and memory a laptop needs to train a Keras model.

    The grader's own limits per assignment are grading settings, which are not released: the run
    time is reported instead. No process limit below what the student's desktop already runs
    (``RLIMIT_NPROC`` counts every process and thread of the user, and cannot be raised).
    """
    default = SandboxLimits()
    program = float(timeout or (600 if release.uses_keras else 120))
    return dataclasses.replace(
        default, memory_mb=4096 if release.uses_keras else default.memory_mb, program_timeout_s=program,
        cpu_seconds=int(max(default.cpu_seconds, 4 * program)), submission_timeout_s=program + 60,
        max_processes=_process_limit(), restarts=0)


def _process_limit(wanted: int = 16384) -> int:
    try:
        import resource
    except ImportError:
        return wanted
    hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def program_cells(program: list[dict], forbidden: list[str], *, hide: bool) -> list[dict]:
    """The rebuilt program with :data:`PRELUDE` first and every test cell run through it.

    Inside ``__validate_test_cell__`` the cell's code is compiled under its own cell name, so its
    line numbers are the notebook's; ``hide`` (no sandbox to hide them) refuses the forbidden modules.
    """
    prelude = PRELUDE + (f"\n__validate_hide__({sorted(forbidden)!r})\n" if hide and forbidden else "")
    cells = [{"id": PRELUDE_ID, "kind": "locked", "source": prelude}]
    for cell in program:
        if cell["kind"] == "test":
            cell = {**cell, "source": f"__validate_test_cell__({cell['source']!r}, {'<cell ' + cell['id'] + '>'!r})\n"}
        cells.append(cell)
    return cells


def full_messages(data: bytes) -> dict[str, str]:
    """The test cells' whole error messages from :data:`MESSAGES_FILE` (nothing when it is not what it should be)."""
    try:
        messages = json.loads(data)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(messages, dict):
        return {}
    return {k: v[:MAX_KEPT_CHARS] for k, v in messages.items() if isinstance(k, str) and isinstance(v, str)}


def shown_message(text: str, language: str = SOURCE_LANGUAGE) -> list[str]:
    """A message as lines a terminal shows: blank lines dropped, each line and the whole bounded.

    The lines are the message's own; only the last, when some are left out, is in ``language``.
    """
    lines, total, kept = [line.rstrip() for line in text.strip().splitlines() if line.strip()], 0, []
    for line in lines:
        line = line if len(line) <= MAX_SHOWN_LINE_CHARS else line[:MAX_SHOWN_LINE_CHARS - 1] + "…"
        if len(kept) == MAX_SHOWN_LINES or total + len(line) > MAX_SHOWN_CHARS:
            left = len(lines) - len(kept)
            kept.append(_n("… ({count} more line)", "… ({count} more lines)", left).render(language))
            break
        kept.append(line)
        total += len(line)
    return kept


def _run_process(cells: list[dict], release: Release, bounds: SandboxLimits, *, confined: bool):
    """The grader's StudentProcess: cell outcomes, the failure if any, the whole test messages."""
    from grader.sandbox.process import StudentProcess

    failure, messages = "", {}
    with StudentProcess(cells, release.forbidden_modules, bounds, confined=confined,
                        files=tuple(release.files())) as process:
        try:
            process.start()
        except StudentFailure as error:
            failure = error.message
        try:
            messages = full_messages(process.job.read_result(MESSAGES_FILE, MAX_MESSAGES_BYTES))
        except StudentCrashed:
            pass  # no test cell failed, or the student's code removed the file
        return process.cells, failure, messages


def _run_portable(cells: list[dict], release: Release, bounds: SandboxLimits):
    """Windows: the runner's program loop in a child process in a temporary folder, under a wall-time limit."""
    failure, outcomes, messages = "", [], {}
    with tempfile.TemporaryDirectory(prefix="grader-validate-") as folder:
        work = Path(folder)
        for source in release.files():
            shutil.copyfile(source, work / source.name)
        for name in ("home", "tmp"):
            (work / name).mkdir()
        (work / ".program.json").write_text(
            json.dumps({"cells": cells, "test_cell_timeout": bounds.test_cell_timeout_s}), encoding="utf-8")
        env = {**os.environ, "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2",
               "HOME": str(work / "home"), "TMPDIR": str(work / "tmp"), "TEMP": str(work / "tmp")}
        with open(work / "output.log", "wb") as log:
            try:
                done = subprocess.run([sys.executable, "-I", "-B", "-c", PORTABLE_MAIN, str(RUNNER),
                                       str(work / ".program.json"), str(work / ".result.json")],
                                      cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                      timeout=bounds.program_timeout_s)
            except subprocess.TimeoutExpired:
                failure = StudentTimeout(_("timed out after {seconds} s while running the notebook program",
                                           seconds=bounds.program_timeout_s)).message
            else:
                try:
                    ready = protocol.parse_line((work / ".result.json").read_bytes())
                    outcomes = protocol.ready(ready, cells)
                except (OSError, StudentCrashed):
                    failure = _("the notebook program ended (exit status {status}) before it finished",
                                status=str(done.returncode))
        written = work / MESSAGES_FILE
        if written.is_file() and written.stat().st_size <= MAX_MESSAGES_BYTES:
            messages = full_messages(written.read_bytes())
    return outcomes, failure, messages


def validate(path: Path, release: Release, *, mode: str = "sandbox", timeout: float | None = None) -> Validation:
    """Rebuild and run ``path`` against the released notebook; report cells, warnings and time.

    ``mode`` is one of :data:`MODES`. A test cell's outcome carries ``full_message``, its whole
    error message, when the program got as far as writing it.
    """
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: one of {', '.join(MODES)}")
    report = Validation()
    try:
        submission = read_notebook(Path(path))
    except Ungradable as reason:
        report.ungradable = reason.message
        return report
    if release.in_place:
        source, report.warnings = released_cells(submission)
    else:
        source = release.notebook
    report.warnings += notebook_warnings(source, submission)
    if not any(is_solution(c) for c in source.cells):
        report.ungradable = _("{notebook} has no solution cells, so it is not a released assignment notebook: "
                              "pass --release FOLDER (the folder you were given for it)",
                              notebook=release.notebook_path.name)
        return report
    try:
        program = rebuild(source, submission)
    except Ungradable as reason:
        report.ungradable = reason.message
        return report
    for index in extra_code_cells(source, submission):
        report.warnings.append(_("code cell {number} is not a solution cell: the grader ignores it "
                                 "(move helper functions into a solution cell)", number=str(index + 1)))
    cells = program_cells(program, release.forbidden_modules, hide=mode != "sandbox")
    bounds = limits(release, timeout)
    start = time.perf_counter()
    if mode == "portable":
        outcomes, report.failure, messages = _run_portable(cells, release, bounds)
    else:
        outcomes, report.failure, messages = _run_process(cells, release, bounds, confined=mode == "sandbox")
    report.seconds = time.perf_counter() - start
    for cell in outcomes:
        if cell["id"] == PRELUDE_ID:
            continue
        if cell["kind"] == "test" and not cell["ok"] and cell["id"] in messages:
            cell = {**cell, "full_message": messages[cell["id"]]}
        report.cells.append(cell)
    return report
