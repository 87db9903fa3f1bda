"""Hidden checks of the pooling assignment (never released).

The two ``*_matches_reference`` checks are property-based: hypothesis searches
input sizes, channels, pool sizes, strides and paddings with a seed from the
check's hidden ``rng`` and reports the *smallest* failing case, e.g.
``fails for H=3, W=3, C=1, pool_size=2, stride=None, padding='valid': the result
has the wrong size along axis 1, 2: expected shape (2, 1, 1, 1)``.  Messages name
sizes and settings, never the inputs or the expected values.  Values are random
normal (no ties) and differ per channel, so pooling across channels fails.  The
point for the lecture's published example also needs the same sizes with hidden
values: the published answer typed in scores nothing.
"""

from typing import NamedTuple

import numpy as np
from hypothesis import strategies as st

import reference
from grader.checks import CheckFailed, check, expect_array, expect_close, expect_property
from grader.checks.api import RESULT
from grader.i18n import _

LECTURE_IMAGE = np.array([[5, 2, -3, 0], [2, -1, 4, -1], [-4, -4, -3, 0], [3, 5, 0, -1]], dtype=np.float64)
LECTURE_MAX_RESULT = np.array([[5, 4], [5, 0]], dtype=np.float64)
LECTURE_AVG_RESULT = np.array([[2, 0], [0, -1]], dtype=np.float64)

REFERENCE = {"max_pool2d": reference.max_pool2d, "avg_pool2d": reference.avg_pool2d}
BATCH = 2                # images per property case: a solution that pools only x[0] fails
MAX_SIDE = 9             # H and W of property cases are at most this
PROPERTY_EXAMPLES = 50   # cases hypothesis tries before it accepts a solution


# ----------------------------------------------------------------------------- helpers

def _call(student, name, x, *settings):
    """``name(x, *settings)`` in the student process; fails if it changed ``x`` in place."""
    result = student.call(name, x, *settings)
    if student.last_mutated:
        raise CheckFailed(_("{function} modified its input x in place; build new arrays instead", function=name))
    return result


def _check_pool(student, name, x, *settings, what):
    """The student's result equals the reference's (settings as in the call: pool_size, stride, padding)."""
    result = expect_array(_call(student, name, x, *settings), what)
    if result.dtype.kind != "f":
        raise CheckFailed(_("{what} should be a float array (use float64)", what=what))
    expect_close(result, REFERENCE[name](x, *settings), what=what)


def _sides(rng, low=3, high=MAX_SIDE):
    """A non-square image size (H, W)."""
    h = int(rng.integers(low, high + 1))
    return h, int(rng.choice([s for s in range(low, high + 1) if s != h]))


def _channels(rng):
    return int(rng.integers(2, 4))


def _setting(pool_size, stride, padding):
    return f"pool_size={pool_size!r}, stride={stride!r}, padding={padding!r}"


class _Case(NamedTuple):
    """One property case: sizes and settings, and the seed of its (hidden) values."""

    h: int
    w: int
    c: int
    pool_size: object
    stride: object
    padding: str
    seed: int


_one_to_three = st.integers(1, 3)


@st.composite
def _pool_cases(draw):
    """Cases in the order hypothesis simplifies them: 'valid' before 'same', an int pool before a pair,
    stride None before numbers; 'valid' pools always fit, 'same' ones may be larger than the input."""
    padding = draw(st.sampled_from(["valid", "same", "same"]))   # "same" has more to get wrong
    pool_size = draw(st.one_of(_one_to_three, st.tuples(_one_to_three, _one_to_three)))
    stride = draw(st.one_of(st.none(), _one_to_three, st.tuples(_one_to_three, _one_to_three)))
    ph, pw = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    low_h, low_w = (ph, pw) if padding == "valid" else (1, 1)
    h = draw(st.integers(low_h, MAX_SIDE))
    w = draw(st.integers(low_w, MAX_SIDE))
    c = draw(st.integers(1, 3))
    return _Case(h, w, c, pool_size, stride, padding, draw(st.integers(0, 2**32 - 1)))


def _describe_case(case: _Case) -> str:
    return f"H={case.h}, W={case.w}, C={case.c}, {_setting(case.pool_size, case.stride, case.padding)}"


def _matches_reference(student, rng, name):
    """Search for the smallest case where ``name`` differs from the reference."""
    def _differs(case: _Case):
        # Cut from one full-size array, so a smaller case keeps the top-left values of a larger one:
        # hypothesis can then shrink the sizes without losing the values that made the case fail.
        x = np.random.default_rng(case.seed).normal(size=(BATCH, MAX_SIDE, MAX_SIDE, 3))[:, :case.h, :case.w, :case.c]
        x = np.ascontiguousarray(x)
        _check_pool(student, name, x, case.pool_size, case.stride, case.padding, what=RESULT)

    expect_property(_pool_cases(), _differs, rng, _describe_case, max_examples=PROPERTY_EXAMPLES)


def _lecture_example(student, rng, name, expected):
    x = LECTURE_IMAGE.reshape(1, 4, 4, 1)
    for pool_size in (2, (2, 2)):
        setting = f"pool_size={pool_size!r}"
        what = _("the result for the lecture's 4x4 example with {setting} (stride not given)", setting=setting)
        result = expect_array(_call(student, name, x, pool_size), what)
        expect_close(result, expected.reshape(1, 2, 2, 1), what=what)
    # the same sizes with hidden values: the published answer typed in earns nothing
    _check_pool(student, name, rng.normal(size=x.shape), 2,
                what=_("the result for a 4x4 image with hidden values and pool_size=2 (the lecture's sizes)"))


def _edge_cases(student, rng, name):
    """Integer input, a pool as large as the input, a 1x1 pool, the default stride."""
    h, w = _sides(rng)
    c = _channels(rng)
    x = rng.integers(-9, 10, size=(BATCH, h, w, c))
    _check_pool(student, name, x, (2, 3), what=_("the result for an integer x (pool_size=(2, 3), stride not given)"))
    x = rng.normal(size=(BATCH, h, w, c))
    _check_pool(student, name, x, (h, w), None, "valid",
                what=_("the result for a {h}x{w} pool on a {h}x{w} input", h=h, w=w))
    _check_pool(student, name, x, 1, None, "same",
                what=_("the result for a 1x1 pool on a {h}x{w} input ({settings})", h=h, w=w,
                       settings=_setting(1, None, "same")))
    _check_pool(student, name, x, (3, 2),
                what=_("the result for pool_size=(3, 2) on a {h}x{w} input, stride not given", h=h, w=w))


# ----------------------------------------------------------------------------- max_pool2d (5 points)

@check(cell="max_pool2d_tests", points=1)
def max_pool2d_lecture_example(student, rng):
    """max_pool2d reproduces the lecture's 4x4 max pooling example, and the same sizes with hidden values."""
    _lecture_example(student, rng, "max_pool2d", LECTURE_MAX_RESULT)


@check(cell="max_pool2d_tests", points=2)
def max_pool2d_matches_reference(student, rng):
    """max_pool2d matches Keras' MaxPooling2D for many sizes, channels, pool sizes, strides and paddings."""
    _matches_reference(student, rng, "max_pool2d")


@check(cell="max_pool2d_tests", points=1)
def max_pool2d_negative_inputs(student, rng):
    """max_pool2d is right when every value is negative, with 'valid' and 'same' padding."""
    h, w = 2 * int(rng.integers(2, 5)) + 1, 2 * int(rng.integers(2, 5)) + 1   # odd: 'same' pads one side
    c = _channels(rng)
    for pool_size, stride, padding in [(2, 1, "valid"), (2, 2, "same"), ((3, 2), (1, 2), "same")]:
        x = -1.0 - rng.random(size=(BATCH, h, w, c))
        _check_pool(student, "max_pool2d", x, pool_size, stride, padding,
                    what=_("the result for all-negative x of size {h}x{w} ({settings})", h=h, w=w,
                           settings=_setting(pool_size, stride, padding)))


@check(cell="max_pool2d_tests", points=1)
def max_pool2d_edge_cases(student, rng):
    """max_pool2d handles integer inputs, a pool as large as the input, 1x1 pools, default stride; keeps x."""
    _edge_cases(student, rng, "max_pool2d")


# ----------------------------------------------------------------------------- avg_pool2d (5 points)

@check(cell="avg_pool2d_tests", points=1)
def avg_pool2d_lecture_example(student, rng):
    """avg_pool2d reproduces the lecture's 4x4 average pooling example, and the same sizes with hidden values."""
    _lecture_example(student, rng, "avg_pool2d", LECTURE_AVG_RESULT)


@check(cell="avg_pool2d_tests", points=2)
def avg_pool2d_matches_reference(student, rng):
    """avg_pool2d matches Keras' AveragePooling2D for many sizes, channels, pool sizes, strides and paddings."""
    _matches_reference(student, rng, "avg_pool2d")


@check(cell="avg_pool2d_tests", points=1)
def avg_pool2d_same_padding(student, rng):
    """avg_pool2d with padding='same' averages only the real cells of windows at the border."""
    h, w = 2 * int(rng.integers(2, 5)) + 1, 2 * int(rng.integers(2, 5)) + 1
    c = _channels(rng)
    ones = np.ones((1, h, w, 1))
    _check_pool(student, "avg_pool2d", ones, 2, 2, "same",
                what=_("the result for an all-ones x of size {h}x{w} (pool_size=2, stride=2, padding='same')",
                       h=h, w=w))
    for pool_size, stride in [(2, 2), (3, 1), ((2, 3), (2, 1))]:
        x = rng.normal(size=(BATCH, h, w, c))
        _check_pool(student, "avg_pool2d", x, pool_size, stride, "same",
                    what=_("the result for x of size {h}x{w} ({settings})", h=h, w=w,
                           settings=_setting(pool_size, stride, "same")))


@check(cell="avg_pool2d_tests", points=1)
def avg_pool2d_edge_cases(student, rng):
    """avg_pool2d handles integer inputs, a pool as large as the input, 1x1 pools, default stride; keeps x."""
    _edge_cases(student, rng, "avg_pool2d")
