"""The feedback page's messages on real notebooks graded through the sandbox (issue 12, "feedback that does not help").

Each notebook is the released conv2d notebook as a student would hand it in: the stub itself, a conv2d
that never returns, and a conv2d whose helper sits in a code cell the student added.
"""

import re

import pytest
from nbformat.v4 import new_code_cell

from grader.assignment import Assignment
from grader.feedback import render
from grader.grade import GradingJob, grade
from grader.notebook.cells import grade_id
from grader.notebook.variants import Variant
from grader.sampleclass import release_notebook, submission, write_submission

CONV2D = Assignment.find("conv2d")
WITHHELD = "the message of an error on hidden inputs is not shown"


def graded_page(tmp_path, notebook) -> tuple[dict, str]:
    path = write_submission(tmp_path, "student", "conv2d", notebook)
    result = grade(GradingJob("student", "conv2d", str(path), str(CONV2D.root.parent)))
    assert result["status"] == "graded", result["reason"]
    return result, render(result, tuple(CONV2D.grade_cells))


def with_conv2d(code: str):
    return submission(CONV2D, Variant("test", "", (), "", {"conv2d_impl": code}))


def rows(page: str) -> list[str]:
    return re.findall(r"<tr><td>.*?</tr>", page.split("<h2>Hidden checks</h2>")[1].split("</table>")[0], re.S)


def test_the_stub_says_not_implemented_yet_once_per_function(tmp_path):
    result, page = graded_page(tmp_path, release_notebook(CONV2D))
    assert page.count("correlate2d is not implemented yet (it raises NotImplementedError)") == 1
    assert page.count("conv2d is not implemented yet (it raises NotImplementedError)") == 1
    assert "NotImplementedError;" not in page and WITHHELD not in page
    checks = rows(page)
    assert len(checks) == len(CONV2D.checks) == 10 and all("0 / 1" in row for row in checks)
    assert page.count('rowspan="4"') == 1 and page.count('rowspan="6"') == 1
    assert "0 / 10" in page


def test_an_endless_loop_is_one_timeout_line_and_the_checks_after_it_are_not_run(tmp_path):
    result, page = graded_page(tmp_path, with_conv2d("def conv2d(x, w, b):\n    while True:\n        pass\n"))
    limit = CONV2D.config.limits.check_timeout_s
    assert result["score"] == 4
    assert page.count(f"conv2d did not finish within {limit:g} s (an endless loop?); the checks after it that "
                      "call conv2d were not run") == 1
    assert page.count("did not finish") == 1
    assert ">crashed<" not in page and "gave up" not in page
    outcomes = [re.search(r'<td class="[\w-]+">([\w ]+)</td>', row).group(1) for row in rows(page)]
    assert outcomes == ["passed"] * 4 + ["timeout"] + ["not run"] * 5


def test_a_helper_in_an_added_cell_is_named_and_the_name_errors_point_to_it(tmp_path):
    notebook = with_conv2d("def conv2d(x, w, b):\n    return pad_and_convolve(x, w, b)\n")
    position = next(i for i, c in enumerate(notebook.cells) if grade_id(c) == "conv2d_impl")
    notebook.cells.insert(position, new_code_cell("import numpy as np\n\n\ndef pad_and_convolve(x, w, b):\n"
                                                  "    return np.zeros(1)\n"))
    result, page = graded_page(tmp_path, notebook)
    where = f"code cell {position + 1} (defines np and pad_and_convolve)"
    assert result["not_graded_cells"] == [{"position": position + 1, "defines": ["np", "pad_and_convolve"]}]
    assert f"Not graded: {where}" in page
    assert "Code outside the solution cells is not graded" in page
    assert page.count("conv2d raised NameError") == 1, "one line for the six checks"
    assert (f"A name it uses is not defined: code outside the solution cells is not graded, and the grader "
            f"dropped {where}; move what conv2d needs into a solution cell") in page
    assert result["score"] == 4 and 'rowspan="6"' in page


@pytest.mark.parametrize("name", ["stub", "solution"])
def test_a_notebook_without_added_cells_has_no_such_notice(tmp_path, name):
    notebook = release_notebook(CONV2D) if name == "stub" else submission(CONV2D, None)
    result, page = graded_page(tmp_path, notebook)
    assert result["not_graded_cells"] == [] and "Not graded" not in page
