"""Unusable files become Ungradable with a reason a student can act on."""

import json

import nbformat
import pytest

from grader.notebook.submission import Ungradable, read_submission, sha256


def write(tmp_path, data: bytes):
    path = tmp_path / "conv2d.ipynb"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("data, reason", [
    (b'{"cells": [ not json', "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b'{"hello": 1}', "not a Jupyter notebook"),
    (b"[]", "not a Jupyter notebook"),
    (json.dumps({"nbformat": 3, "cells": [], "worksheets": []}).encode(), "nbformat 3"),
    (json.dumps({"nbformat": 4, "cells": [1, 2]}).encode(), "cell 0 is malformed"),
])
def test_broken_files_are_ungradable_with_a_reason(tmp_path, data, reason):
    with pytest.raises(Ungradable, match=reason):
        read_submission(write(tmp_path, data))


def test_symlink_is_refused(tmp_path):
    link = tmp_path / "conv2d.ipynb"
    link.symlink_to("/etc/passwd")
    with pytest.raises(Ungradable, match="not a regular file"):
        read_submission(link)


def test_valid_notebook_is_read_and_hashed(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "conv2d.ipynb"
    nbformat.write(notebook, path)
    assert read_submission(path).cells[0].source == "x = 1"
    assert len(sha256(path)) == 64
