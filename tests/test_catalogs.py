"""The message catalogs: complete, compiled, faithful to their placeholders, and split by what may be released."""

from babel.messages.pofile import read_po

from grader import catalogs, i18n
from grader.i18n import placeholders


def _entries():
    for domain, (_sources, locale_dir) in catalogs.domains().items():
        for language in catalogs.translated_languages():
            with catalogs.po_path(locale_dir, language, domain).open("rb") as file:
                yield domain, language, [m for m in read_po(file, locale=language) if m.id]


def test_every_message_the_grader_can_emit_is_translated_and_compiled(capsys):
    """Extracted afresh from the sources: a message without a translation, or a stale .mo, fails here."""
    assert catalogs.main(["--check"]) == 0, capsys.readouterr().err


def test_every_translation_keeps_the_placeholders_of_its_message():
    for domain, language, entries in _entries():
        for entry in entries:
            ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            wanted = placeholders(ids[-1]) | placeholders(ids[0])
            for string in strings:
                assert placeholders(string) <= wanted and placeholders(string) >= placeholders(ids[0]) - {"count"}, \
                    f"{domain}/{language}: {entry.id!r} -> {string!r}"


def test_plural_messages_have_every_form_the_language_needs():
    for _domain, language, entries in _entries():
        for entry in entries:
            if isinstance(entry.id, tuple):
                assert len(entry.string) == 2 and all(entry.string), entry.id


def test_hidden_check_texts_never_reach_the_catalog_that_students_install():
    shipped = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogs.template(catalogs.grader_sources())}
    hidden = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogs.template(catalogs.checks_sources())}
    checks_files = [(path, "checks") for path, method in catalogs.checks_sources() if method == "checks"]
    titles = {m.id for m in catalogs.template(checks_files) if m.id and "title of" in " ".join(m.auto_comments)}
    assert titles and not titles & shipped
    assert i18n.GRADER_LOCALE.parent.name == "grader" and not (hidden - shipped) & shipped


def test_extraction_finds_every_message_written_in_the_code():
    """Every _()/_n() literal, nested in another call or in an f-string too, is in the catalogs' sources."""
    import ast

    extracted = set()
    for sources in (catalogs.grader_sources(), catalogs.checks_sources()):
        extracted |= {m.id if isinstance(m.id, str) else m.id[0] for m in catalogs.template(sources) if m.id}
    missed = []
    for path, method in catalogs.grader_sources() + catalogs.checks_sources():
        if method not in ("python", "checks"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "_n") \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                if node.args[0].value not in extracted:
                    missed.append(f"{path.name}:{node.lineno} {node.args[0].value!r}")
    assert not missed, "write these messages where Babel finds them (not inside an f-string):\n" + "\n".join(missed)


def test_a_real_message_reads_with_hungarian_numbers_and_plurals():
    from grader.checks.api import differs, shape_mismatch

    assert differs(5, 61706, 1e-6, 1e-9).render("hu") == \
        "az eredmény 61\xa0706 pozícióból néhány helyen eltér a várt értékektől (tolerancia: rtol=1e-06, atol=1e-09)"
    english = str(differs(5, 61706, 1e-6, 1e-9))
    assert english.startswith("the result differs from the expected values at some of 61,706")
    assert differs(192, 192, 1e-6, 1e-9).render("hu").startswith("az eredmény minden pozícióban eltér")
    one, two = shape_mismatch((2, 3, 4), (2, 5, 4)), shape_mismatch((2, 3, 4), (2, 5, 6))
    assert "1" in one.render("hu") and "1, 2" in two.render("hu") and one.render("hu") != one.render("en")
