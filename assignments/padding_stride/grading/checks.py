"""Hidden checks of the padding_stride assignment (never released).

Most checks are properties: hypothesis draws cases (batch and image sizes, kernel sizes, strides 1-3,
paddings 0-3, "valid" and "same") from a seed taken from the check's hidden ``rng``, builds the arrays
of a case from a seed drawn with it, and compares the student's answer with the reference. A failing
case is shrunk to the smallest one, and the message names only its parameters, e.g.
``fails for H=4, W=5, k=3, stride=2, padding='same': the result has the wrong size along axis 1, 2: expected
shape (1, 2, 3, 1)``,
never the hidden inputs or expected values.

Cases stay small (H, W <= 9, N <= 2, P, Q <= 3) so that a plain-loop solution is graded quickly:
every ``student.call`` also costs the sandbox a few milliseconds.

A point for the lecture's published examples also needs the same settings with hidden values, and
the point for conv2d's output shape a result that changes with x and w: zeros of the right shape plus
the published answers typed in score nothing.
"""

import numpy as np
from hypothesis import strategies as st

import reference
from grader.checks import (
    CheckFailed,
    check,
    expect_array,
    expect_close,
    expect_depends_on,
    expect_equal,
    expect_property,
    shape_mismatch,
)
from grader.checks.api import RESULT
from grader.i18n import _, _n

# The lecture's padding slide: a 6x6 image padded to 8x8 and the 3x3 vertical edge filter.
LECTURE_X = np.array([[3, 3, 4, 4, 7, 0],
                      [9, 7, 6, 5, 8, 2],
                      [6, 5, 5, 6, 9, 2],
                      [7, 1, 3, 2, 7, 8],
                      [0, 3, 7, 1, 8, 3],
                      [4, 0, 4, 3, 2, 2]], dtype=np.float64)
EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float64)

ARGUMENTS = {"zero_pad": ("x", "p"), "conv2d": ("x", "w", "b")}
# hypothesis spends part of a small budget on variations of cases it already tried, so the settings
# where mistakes show (p >= 1, Keras' asymmetric "same") are drawn more often than p = 0 and "valid".
# Int paddings are 0 to 3, as the notebook says: zero_pad, output_size and conv2d's shapes draw all
# four; conv2d's values draw 0 to 2 here and get p = 3 in conv2d_edge_cases.
PADDINGS = st.sampled_from([1, "same", 2, "same", 0, "valid", 3])
INT_PADDINGS = st.sampled_from([1, 2, 0])
SAME_OR_VALID = st.sampled_from(["same", "same", "valid"])
STRIDES = st.integers(1, 3)

# Each example costs a few ms of hypothesis plus a student.call: a plain-loop solution stays near 1 s.
ZERO_PAD_EXAMPLES = 20
OUTPUT_SIZE_EXAMPLES = 25
CONV_EXAMPLES = 30


# ----------------------------------------------------------------------------- helpers

def _call(student, name, *args, **kwargs):
    """Call the student's function and fail if it changed an array argument in place."""
    result = student.call(name, *args, **kwargs)
    if student.last_mutated:
        names = ARGUMENTS.get(name, ())
        changed = [names[i] if i < len(names) else _("argument {index}", index=i) for i in student.last_mutated]
        raise CheckFailed(_n("{function} modified its input {inputs} in place; build new arrays instead",
                             "{function} modified its inputs {inputs} in place; build new arrays instead",
                             len(changed), function=name, inputs=changed))
    return result


def _expect_shape(result, shape, what=RESULT):
    """Fail naming the expected shape and the wrong axes (never the student's shape or values)."""
    result = expect_array(result, what)
    if result.shape != tuple(shape):
        raise CheckFailed(shape_mismatch(result.shape, shape, what))
    return result


def _expect_values(result, expected, what=RESULT):
    _expect_shape(result, expected.shape, what)
    expect_close(result, expected, what=what)


def _expect_float(result, what):
    """Integer inputs must still give a float result."""
    result = expect_array(result, what)
    if result.dtype.kind != "f":
        raise CheckFailed(_("{what} should be a float array (use float64)", what=what))
    return result


def _expect_int(result, what):
    """``output_size`` answers with an int (numpy integers arrive as 0-d arrays and are fine)."""
    if isinstance(result, np.ndarray) and result.ndim == 0:
        result = result.item()
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        raise CheckFailed(_("{what} should be an int", what=what))
    if isinstance(result, float):
        raise CheckFailed(_("{what} is a float; output_size must return an int (use // rather than /)", what=what))
    return result


def _rng(case):
    return np.random.default_rng(case["seed"])


def _kernel(case):
    u, v = case["u"], case["v"]
    return f"k={u}" if u == v else f"k={u}x{v}"


# ----------------------------------------------------------------------------- case strategies

@st.composite
def pad_cases(draw):
    """A batch for zero_pad: N, H, W, C, p and whether x holds integers."""
    return {"n": draw(st.integers(1, 2)), "h": draw(st.integers(1, 6)), "w": draw(st.integers(1, 6)),
            "c": draw(st.integers(1, 3)), "p": draw(st.integers(0, 3)), "integer": draw(st.booleans()),
            "seed": draw(st.integers(0, 2**32 - 1))}


def describe_pad(case):
    shape = (case["n"], case["h"], case["w"], case["c"])
    if case["integer"]:
        return _("x of shape {shape}, p={p}, integer x", shape=shape, p=case["p"])
    return _("x of shape {shape}, p={p}", shape=shape, p=case["p"])


@st.composite
def size_cases(draw, paddings):
    """(n, k, padding, stride) for output_size, with a kernel that fits the padded axis."""
    stride = draw(st.integers(1, 3))
    padding = draw(paddings)
    k = draw(st.integers(1, 6))
    room = {"valid": 0, "same": k}.get(padding, 2 * padding if isinstance(padding, int) else 0)
    n = draw(st.integers(max(1, k - room), 12))
    return {"n": n, "k": k, "padding": padding, "stride": stride}


def describe_size(case):
    return f"n={case['n']}, k={case['k']}, padding={case['padding']!r}, stride={case['stride']}"


@st.composite
def conv_cases(draw, strides, paddings):
    """A conv2d case: stride, padding, kernel U x V, image H x W (the kernel fits once padded), N, P, Q."""
    stride = draw(strides)
    padding = draw(paddings)
    u = draw(st.integers(1, 4))
    v = draw(st.integers(1, 4))

    def _draw_side(k):
        room = {"valid": 0, "same": k}.get(padding, 2 * padding if isinstance(padding, int) else 0)
        return draw(st.integers(max(1, k - room), 9))

    h, w = _draw_side(u), _draw_side(v)
    return {"stride": stride, "padding": padding, "u": u, "v": v, "h": h, "w": w,
            "n": draw(st.integers(1, 2)), "p": draw(st.integers(1, 3)), "q": draw(st.integers(1, 3)),
            "seed": draw(st.integers(0, 2**32 - 1))}


def describe_conv(case):
    extra = [f"{name}={case[key]}" for name, key in (("N", "n"), ("P", "p"), ("Q", "q")) if case[key] != 1]
    return ", ".join([f"H={case['h']}", f"W={case['w']}", _kernel(case), f"stride={case['stride']}",
                      f"padding={case['padding']!r}", *extra])


def _conv_arrays(case):
    rng = _rng(case)
    x = rng.normal(size=(case["n"], case["h"], case["w"], case["p"]))
    w = rng.normal(size=(case["u"], case["v"], case["p"], case["q"]))
    b = rng.uniform(1.0, 3.0, size=case["q"]) * rng.choice([-1.0, 1.0], size=case["q"])
    return x, w, b


def _conv_fails(student, values=True):
    """The ``fails`` callback of a conv2d property: None when the student is right for the case."""

    def _wrong(case):
        x, w, b = _conv_arrays(case)
        expected = reference.conv2d(x, w, b, stride=case["stride"], padding=case["padding"])
        result = _call(student, "conv2d", x, w, b, stride=case["stride"], padding=case["padding"])
        if values:
            _expect_values(result, expected)
        else:
            _expect_shape(result, expected.shape)

    return _wrong


# ----------------------------------------------------------------------------- zero_pad (2 points)

@check(cell="zero_pad_tests", points=1)
def zero_pad_lecture_example(student, rng):
    """zero_pad turns the lecture's 6x6 image into the 8x8 one with a ring of zeros, also for hidden values."""
    x = LECTURE_X.reshape(1, 6, 6, 1)
    _expect_values(_call(student, "zero_pad", x, 1), reference.zero_pad(x, 1),
                   what=_("the result for the lecture's 6x6 image with p=1"))
    hidden = rng.integers(0, 10, size=x.shape).astype(np.float64)
    _expect_values(_call(student, "zero_pad", hidden, 1), reference.zero_pad(hidden, 1),
                   what=_("the result for a 6x6 image with hidden values and p=1 (the lecture's sizes)"))


@check(cell="zero_pad_tests", points=1)
def zero_pad_matches_reference(student, rng):
    """zero_pad pads only H and W, p zeros on every side, for any N, H, W, C, p and integer inputs."""

    def _wrong(case):
        rng_case = _rng(case)
        shape = (case["n"], case["h"], case["w"], case["c"])
        x = rng_case.integers(-9, 10, size=shape) if case["integer"] else rng_case.normal(size=shape)
        _expect_values(_call(student, "zero_pad", x, case["p"]), reference.zero_pad(x, case["p"]))

    expect_property(pad_cases(), _wrong, rng, describe_pad, max_examples=ZERO_PAD_EXAMPLES)


# ----------------------------------------------------------------------------- output_size (3 points)

LECTURE_SIZES = [
    ((6, 3, 1, 1), _("the lecture's 6x6 image padded to 8x8 with a 3x3 kernel")),
    ((6, 3, "same", 1), _("the lecture's 6x6 image, 3x3 kernel, padding='same'")),
    ((6, 3, 0, 1), _("the lecture's 6x6 image without padding")),
    ((7, 3, 0, 2), _("the lecture's 7x7 input, 3x3 kernel, stride 2")),
    ((7, 3, "valid", 2), _("the lecture's 7x7 input, 3x3 kernel, stride 2, padding='valid'")),
    ((32, 5, "valid", 1), _("LeNet's first layer, 32x32 input and a 5x5 kernel")),
]


@check(cell="output_size_tests", points=1)
def output_size_lecture_examples(student, rng):
    """output_size gives the lecture's sizes (6 -> 6 with p=1, 7 -> 3 with stride 2, 32 -> 28), and for hidden n."""
    for args, example in LECTURE_SIZES:
        what = _("output_size{arguments} ({example})", arguments=repr(args), example=example)
        result = _expect_int(_call(student, "output_size", *args), what)
        expect_equal(result, reference.output_size(*args), what=what)
    for (n, k, padding, stride), example in LECTURE_SIZES:
        # the same kernel, padding and stride on a hidden input size, never one of the lecture's
        args = (int(rng.choice([m for m in range(k, 41) if m != n])), k, padding, stride)
        settings = f"k={k}, padding={padding!r}, stride={stride}"
        label = _("output_size for the settings of {example} ({settings}) on a hidden n", example=example,
                  settings=settings)
        expect_equal(_expect_int(_call(student, "output_size", *args), label), reference.output_size(*args),
                     what=label)


def _size_fails(student):
    def _wrong(case):
        args = (case["n"], case["k"], case["padding"], case["stride"])
        result = _expect_int(_call(student, "output_size", *args), RESULT)
        expect_equal(result, reference.output_size(*args))

    return _wrong


@check(cell="output_size_tests", points=1)
def output_size_int_padding(student, rng):
    """output_size is floor((n + 2p - k) / s) + 1 for int paddings p = 0..3 and strides 1..3."""
    expect_property(size_cases(st.integers(0, 3)), _size_fails(student), rng, describe_size,
                    max_examples=OUTPUT_SIZE_EXAMPLES)


@check(cell="output_size_tests", points=1)
def output_size_valid_and_same(student, rng):
    """output_size handles padding='valid' (p = 0) and Keras' 'same' (ceil(n / s)), odd and even kernels."""
    expect_property(size_cases(SAME_OR_VALID), _size_fails(student), rng, describe_size,
                    max_examples=OUTPUT_SIZE_EXAMPLES)


# ----------------------------------------------------------------------------- conv2d (5 points)

@check(cell="conv2d_tests", points=1)
def conv2d_lecture_examples(student, rng):
    """conv2d reproduces the lecture: 6x6 padded to 8x8 with its filter, and a hidden 7x7 input with stride 2 -> 3x3."""
    x, w, b = LECTURE_X.reshape(1, 6, 6, 1), EDGE.reshape(3, 3, 1, 1), np.zeros(1)
    for padding in (1, "same"):
        setting = f"padding={padding!r}"
        _expect_values(_call(student, "conv2d", x, w, b, stride=1, padding=padding),
                       reference.conv2d(x, w, b, padding=padding),
                       what=_("the result for the lecture's 6x6 image and edge filter with {setting}", setting=setting))
    x7 = rng.integers(0, 10, size=(1, 7, 7, 1)).astype(np.float64)
    w3, b1 = rng.normal(size=(3, 3, 1, 1)), rng.normal(size=1)
    for padding in (0, "valid"):
        setting = f"padding={padding!r}"
        _expect_values(_call(student, "conv2d", x7, w3, b1, stride=2, padding=padding),
                       reference.conv2d(x7, w3, b1, stride=2, padding=padding),
                       what=_("the result for a 7x7 input, a 3x3 kernel, stride 2 and {setting}", setting=setting))


@check(cell="conv2d_tests", points=1)
def conv2d_output_shape(student, rng):
    """conv2d returns (N, H', W', Q) with H', W' = output_size for strides 1-3 and every padding, from its inputs."""
    expect_property(conv_cases(STRIDES, PADDINGS), _conv_fails(student, values=False), rng, describe_conv,
                    max_examples=CONV_EXAMPLES)
    # The right shape earns the point only from a result computed from x and w (random normal values
    # make the reference's results differ, so only output that ignores its input stays the same).
    case = {"stride": 2, "padding": "same", "u": 3, "v": 2, "h": 7, "w": 6, "n": 2, "p": 2, "q": 3,
            "seed": int(rng.integers(2**32))}
    x, w, b = _conv_arrays(case)
    what = _("the result for {case}", case=describe_conv(case))
    result = _call(student, "conv2d", x, w, b, stride=2, padding="same")
    for changed, args in (("x", (rng.normal(size=x.shape), w, b)), ("w", (x, rng.normal(size=w.shape), b))):
        expect_depends_on(_call(student, "conv2d", *args, stride=2, padding="same"), result, changed, what=what)


@check(cell="conv2d_tests", points=1)
def conv2d_int_padding_values(student, rng):
    """conv2d with p = 0, 1, 2 zeros on every side matches the reference for strides 1-3."""
    expect_property(conv_cases(STRIDES, INT_PADDINGS), _conv_fails(student), rng, describe_conv,
                    max_examples=CONV_EXAMPLES)


@check(cell="conv2d_tests", points=1)
def conv2d_same_padding_values(student, rng):
    """conv2d with Keras' asymmetric 'same' (and 'valid') matches the reference for strides 1-3."""
    expect_property(conv_cases(STRIDES, SAME_OR_VALID), _conv_fails(student), rng, describe_conv,
                    max_examples=CONV_EXAMPLES)


@check(cell="conv2d_tests", points=1)
def conv2d_edge_cases(student, rng):
    """conv2d handles integer inputs, padding 3, 1x1 kernels, strides larger than the image, and keeps its inputs."""
    h, w = int(rng.integers(4, 8)), int(rng.integers(4, 8))
    x = rng.integers(-9, 10, size=(2, h, w, 2))
    k, b = rng.integers(-9, 10, size=(3, 2, 2, 3)), rng.integers(1, 10, size=3) * rng.choice([-1, 1], size=3)
    for stride, padding in [(2, "same"), (1, 2), (3, "valid")]:
        settings = f"stride={stride}, padding={padding!r}"
        what = _("the result for integer inputs with {settings}", settings=settings)
        result = _expect_float(_call(student, "conv2d", x, k, b, stride=stride, padding=padding), what)
        _expect_values(result, reference.conv2d(x, k, b, stride=stride, padding=padding), what=what)
    xf, bf = rng.normal(size=(2, h, w, 3)), rng.normal(size=2)
    cases = [
        (_("the result for a 1x1 kernel with stride 3 and padding 2 (border outputs are just the bias)"), (1, 1), 3, 2),
        (_("the result for a 3x2 kernel with stride 2 and padding 3"), (3, 2), 2, 3),
        (_("the result for a kernel as large as the image, padding='valid'"), (h, w), 2, "valid"),
        (_("the result for a 1x1 kernel with a stride larger than the image"), (1, 1), max(h, w) + 1, "valid"),
        (_("the result for a kernel larger than the image, padding='same'"), (h + 1, w + 2), 1, "same"),
    ]
    for what, (u, v), stride, padding in cases:
        kernel = rng.normal(size=(u, v, 3, 2))
        _expect_values(_call(student, "conv2d", xf, kernel, bf, stride=stride, padding=padding),
                       reference.conv2d(xf, kernel, bf, stride=stride, padding=padding), what=what)
