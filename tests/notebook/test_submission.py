"""Unusable files become Ungradable with a reason a student can act on; parsing them stays bounded."""

import json
import time
import tracemalloc
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.notebook import submission as sub
from grader.notebook.submission import MAX_CONTAINERS, MAX_DEPTH, JsonShape, Ungradable, read_submission, sha256

RELEASE = Path(__file__).resolve().parents[2] / "release" / "en"


def write(tmp_path, data: bytes):
    path = tmp_path / "conv2d.ipynb"
    path.write_bytes(data)
    return path


def notebook(*cells, **top) -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells), **top}).encode()


def code(**fields) -> dict:
    return {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [], "execution_count": None,
            **fields}


@pytest.mark.parametrize("data, reason", [
    (b'{"cells": [ not json', "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b'{"hello": 1}', "not a Jupyter notebook"),
    (b"[]", "not a Jupyter notebook"),
    (json.dumps({"nbformat": 3, "cells": [], "worksheets": []}).encode(), "nbformat 3"),
    (notebook(1, 2), r"cell 1 is malformed \(not a JSON object\)"),
    (b'{"nbformat": 4, "cells": [], "x": NaN}', "not valid JSON"),
    (b'{"nbformat": 4, "cells": ["unclosed]}', "not valid JSON"),
])
def test_broken_files_are_ungradable_with_a_reason(tmp_path, data, reason):
    with pytest.raises(Ungradable, match=reason):
        read_submission(write(tmp_path, data))


@pytest.mark.parametrize("data, reason", [
    (notebook(code(metadata="not a dict")), "its metadata is not a JSON object"),
    (notebook(code(metadata={"nbgrader": []})), "its nbgrader metadata is not a JSON object"),
    (notebook(code(metadata={"nbgrader": {"grade_id": 7}})), "grade_id is not a string"),
    (notebook(code(metadata={"nbgrader": {"solution": "yes"}})), "flag"),
    (notebook(code(metadata={"nbgrader": {"points": "2"}})), "points are not a number"),
    (notebook(code(cell_type="python")), "cell_type 'python'"),
    (notebook(code(source=["x = 1\n", 2])), "source is not text"),
    (notebook(code(source=None)), "source is not text"),
    (notebook(code(source=["ok", "\udcff"])), "source is not text"),
    (notebook(code(metadata={"nbgrader": {"grade_id": "\ud800"}})), "grade_id is not a string"),
    (notebook(code(id=["a"])), "id is not a string"),
    (notebook(code(outputs={})), "outputs are not a list"),
    (notebook(code(), metadata=[]), "the notebook's metadata"),
    (notebook(code(), nbformat_minor="5"), "nbformat_minor"),
    (notebook(code(), nbformat=4.0), "nbformat 4.0"),
    (notebook(code(), nbformat=True), "nbformat True"),
])
def test_malformed_structure_is_ungradable_and_says_what_to_do(tmp_path, data, reason):
    with pytest.raises(Ungradable, match=reason) as caught:
        read_submission(write(tmp_path, data))
    assert "download a fresh copy" in str(caught.value)


def test_long_student_text_is_not_echoed(tmp_path):
    for data in (notebook(nbformat="A" * 100_000), notebook(code(cell_type="B" * 100_000))):
        with pytest.raises(Ungradable) as caught:
            read_submission(write(tmp_path, data))
        assert len(str(caught.value)) < 300 and "A" * 61 not in str(caught.value)


def test_deep_nesting_is_ungradable_not_a_recursion_error(tmp_path):
    deep = b'{"nbformat": 4, "cells": [], "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(Ungradable, match="nested more than 64 levels"):
        read_submission(write(tmp_path, deep))
    nested = b"[" * (MAX_DEPTH - 3) + b"]" * (MAX_DEPTH - 3)
    assert read_submission(write(tmp_path, b'{"nbformat": 4, "cells": [], "x": ' + nested + b"}")).nbformat == 4


def test_many_empty_objects_are_refused_before_parsing(tmp_path):
    """9.5 MiB of {} once took a worker to 1.7 GB."""
    data = b'{"nbformat": 4, "cells": [' + b"{}," * (int(9.5 * 2**20) // 3) + b"{}]}"
    tracemalloc.start()
    try:
        with pytest.raises(Ungradable, match="lists and objects"):
            read_submission(write(tmp_path, data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20


def test_many_values_are_refused(tmp_path):
    data = b'{"nbformat": 4, "cells": [], "x": [' + b"1," * sub.MAX_VALUES + b"1]}"
    with pytest.raises(Ungradable, match="values"):
        read_submission(write(tmp_path, data))


def test_oversized_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(sub, "MAX_NOTEBOOK_BYTES", 1000)
    with pytest.raises(Ungradable, match="over the 0 MiB limit"):
        read_submission(write(tmp_path, notebook(code(source="x" * 2000))))


def test_measuring_50_mib_is_fast():
    """The shape of the largest notebook accepted costs well under a second (the worst cases measured)."""
    size = sub.MAX_NOTEBOOK_BYTES
    for data in (b'["' + b"x" * size + b'"]', b"[" + b'"",' * (size // 3) + b'""]',
                 b'["' + b'\\"' * (size // 2) + b'"]', b"[" + b"{}," * (size // 3) + b"{}]"):
        start = time.perf_counter()
        JsonShape.measure(data)
        assert time.perf_counter() - start < 5


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(alphabet='ab"\\[]{},: \n'),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=30)


def true_shape(value, level=1) -> tuple[int, int, int]:
    """(depth, containers, commas) of a parsed JSON value."""
    if isinstance(value, (list, dict)):
        items = list(value.values()) if isinstance(value, dict) else value
        inner = [true_shape(item, level + 1) for item in items]
        return (max([level] + [i[0] for i in inner]), 1 + sum(i[1] for i in inner),
                max(len(items) - 1, 0) + sum(i[2] for i in inner))
    return (0, 0, 0)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, chunk=st.integers(1, 64))
def test_shape_matches_the_parsed_value(value, chunk):
    shape = JsonShape.measure(json.dumps(value, ensure_ascii=False).encode(), chunk)
    assert not shape.in_string
    assert (shape.deepest, shape.containers, shape.values) == true_shape(value)


@pytest.mark.parametrize("name", ["conv2d", "padding_stride", "pooling", "lenet", "transfer", "fcn"])
def test_released_notebooks_are_read(name):
    path = RELEASE / name / f"{name}.ipynb"
    assert read_submission(path).cells == nbformat.read(path, as_version=4).cells
    shape = JsonShape.measure(path.read_bytes())
    assert shape.deepest <= 10 and shape.containers < MAX_CONTAINERS // 100


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_mutated_bytes_are_read_or_ungradable(tmp_path_factory, data):
    raw = bytearray((RELEASE / "conv2d" / "conv2d.ipynb").read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at:at + data.draw(st.integers(0, 3))] = data.draw(st.binary(max_size=3) | st.sampled_from(
            [b"[", b"{", b'"', b"\\", b"]}", b"NaN", b"1e999", b"\xed\xb3\xbf"]))
    path = tmp_path_factory.mktemp("mutated") / "conv2d.ipynb"
    path.write_bytes(bytes(raw))
    try:
        read_submission(path)
    except Ungradable:
        pass


def test_symlink_is_refused(tmp_path):
    link = tmp_path / "conv2d.ipynb"
    link.symlink_to("/etc/passwd")
    with pytest.raises(Ungradable, match="not a regular file"):
        read_submission(link)


def test_directory_and_fifo_are_refused(tmp_path):
    import os

    (tmp_path / "dir.ipynb").mkdir()
    os.mkfifo(tmp_path / "fifo.ipynb")
    for name in ("dir.ipynb", "fifo.ipynb"):
        with pytest.raises(Ungradable, match="not a regular file"):
            read_submission(tmp_path / name)


def test_valid_notebook_is_read_and_hashed(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "conv2d.ipynb"
    nbformat.write(notebook, path)
    assert read_submission(path).cells[0].source == "x = 1"
    assert len(sha256(path)) == 64
