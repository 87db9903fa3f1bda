"""Hidden checks of the conv2d assignment (never released).

Every case is drawn from ``rng``, so students cannot hard-code answers; messages
name shapes and the kind of case, never the inputs or the expected values.
A point for the lecture's published example also needs the same sizes with hidden
values, and a point for the output shape needs a result that changes with x and w:
zeros of the right shape plus the published answer typed in score nothing.
Kernels in value checks are random normal, hence not symmetric: a flipped kernel
(true convolution) fails them.  Biases are non-zero and differ per filter.
"""

import numpy as np

import reference
from grader.checks import CheckFailed, check, expect_array, expect_close, expect_depends_on, expect_shape
from grader.i18n import _, _n

LECTURE_X = np.array([[1, 2, 2, -2], [1, 0, 2, 4], [2, -1, -1, 3], [0, 0, -3, -2]], dtype=np.float64)
LECTURE_W = np.array([[1, 0, 3], [2, -1, -1], [0, 1, -3]], dtype=np.float64)

CORRELATE_ARGS = ("x", "w")
CONV_ARGS = ("x", "w", "b")


# ----------------------------------------------------------------------------- helpers

def _call(student, name, *args):
    """Call the student's function and fail if it changed any argument in place."""
    result = student.call(name, *args)
    if student.last_mutated:
        names = CORRELATE_ARGS if name == "correlate2d" else CONV_ARGS
        changed = [names[i] for i in student.last_mutated]
        raise CheckFailed(_n("{function} modified its input {inputs} in place; build new arrays instead",
                             "{function} modified its inputs {inputs} in place; build new arrays instead",
                             len(changed), function=name, inputs=changed))
    return result


def _expect_float(result, what):
    """Integer inputs must still give a float result."""
    result = expect_array(result, what)
    if result.dtype.kind != "f":
        raise CheckFailed(_("{what} should be a float array (use float64)", what=what))
    return result


def _sides(rng, low=3, high=10):
    """A non-square image size (H, W)."""
    h = int(rng.integers(low, high + 1))
    w = int(rng.choice([s for s in range(low, high + 1) if s != h]))
    return h, w


def _channels(rng, low=1, high=4):
    """Numbers of input channels P and filters Q with P != Q."""
    p = int(rng.integers(low, high + 1))
    q = int(rng.choice([s for s in range(low, high + 1) if s != p]))
    return p, q


def _kernel_size(rng, h, w, low=1):
    """A kernel (U, V) that fits an H x W image, at least ``low`` on each side."""
    return int(rng.integers(low, h + 1)), int(rng.integers(low, w + 1))


def _bias(rng, q):
    """Q clearly non-zero biases that differ from each other."""
    return rng.permutation(np.linspace(1.0, 3.0, q)) * rng.choice([-1.0, 1.0], size=q)


def _conv_case(rng, n, h, w, p, u, v, q):
    return rng.normal(size=(n, h, w, p)), rng.normal(size=(u, v, p, q)), _bias(rng, q)


def _check_conv(student, x, w, b, what):
    expect_close(_call(student, "conv2d", x, w, b), reference.conv2d(x, w, b), what=what)


def _expect_uses_inputs(student, name, args, result, rng, what):
    """``result`` (for ``args``) changes when x changes and when w changes: new hidden values, same shapes.

    Random normal values make the reference's results differ, so only output that ignores
    its input (zeros of the right shape) gives the same array twice.
    """
    for i, changed in enumerate(("x", "w")):
        other = list(args)
        other[i] = rng.normal(size=np.shape(args[i]))
        expect_depends_on(_call(student, name, *other), result, changed, what=what)


# ----------------------------------------------------------------------------- correlate2d (4 points)

@check(cell="correlate2d_tests", points=1)
def correlate2d_lecture_example(student, rng):
    """correlate2d reproduces the lecture's 4x4 * 3x3 example, and the same sizes with hidden values."""
    result = _call(student, "correlate2d", LECTURE_X, LECTURE_W)
    expect_close(result, reference.correlate2d(LECTURE_X, LECTURE_W), what=_("the result for the lecture's example"))
    x, w = rng.normal(size=LECTURE_X.shape), rng.normal(size=LECTURE_W.shape)
    expect_close(_call(student, "correlate2d", x, w), reference.correlate2d(x, w),
                 what=_("the result for a 4x4 image and a 3x3 kernel with hidden values (the lecture's sizes)"))


@check(cell="correlate2d_tests", points=1)
def correlate2d_output_shape(student, rng):
    """correlate2d returns an (H-U+1) x (W-V+1) array computed from its inputs."""
    h, w = _sides(rng)
    sizes = [(h, w, *_kernel_size(rng, h, w, low=2)), (h, w, 1, 1), (w, h, w, h), (h, w, 1, w)]
    results = []
    for h, w, u, v in sizes:
        args = (rng.normal(size=(h, w)), rng.normal(size=(u, v)))
        result = _call(student, "correlate2d", *args)
        what = _("the result for a {h}x{w} image and a {u}x{v} kernel", h=h, w=w, u=u, v=v)
        results.append((args, expect_shape(result, (h - u + 1, w - v + 1), what=what), what))
    _expect_uses_inputs(student, "correlate2d", *results[0][:2], rng, results[0][2])


@check(cell="correlate2d_tests", points=1)
def correlate2d_does_not_flip_kernel(student, rng):
    """correlate2d computes cross-correlation (no kernel flip) on random non-square inputs."""
    for _repeat in range(3):
        h, w = _sides(rng, low=4, high=12)
        u, v = _kernel_size(rng, h, w, low=2)
        x, k = rng.normal(size=(h, w)), rng.normal(size=(u, v))
        expect_close(_call(student, "correlate2d", x, k), reference.correlate2d(x, k),
                     what=_("the result for a {h}x{w} image and a {u}x{v} kernel", h=h, w=w, u=u, v=v))


@check(cell="correlate2d_tests", points=1)
def correlate2d_edge_cases(student, rng):
    """correlate2d handles 1x1 kernels, kernels as large as the image, integer inputs, and keeps its inputs."""
    h, w = _sides(rng, low=2)
    x = rng.normal(size=(h, w))
    cases = [(_("the result for a 1x1 kernel"), x, rng.normal(size=(1, 1))),
             (_("the result for a kernel as large as the image"), x, rng.normal(size=(h, w)))]
    for what, image, kernel in cases:
        expect_close(_call(student, "correlate2d", image, kernel), reference.correlate2d(image, kernel), what=what)
    x_int = rng.integers(-9, 10, size=(h, w))
    for what, kernel in [(_("the result for integer inputs"), rng.integers(-9, 10, size=(2, 2))),
                         (_("the result for an integer image and a float kernel"), rng.normal(size=(2, 2)))]:
        result = _expect_float(_call(student, "correlate2d", x_int, kernel), what)
        expect_close(result, reference.correlate2d(x_int, kernel), what=what)


# ----------------------------------------------------------------------------- conv2d (6 points)

@check(cell="conv2d_tests", points=1)
def conv2d_lecture_example(student, rng):
    """conv2d reproduces the lecture's example as one image, one channel, one filter, and hidden values."""
    x, w, b = LECTURE_X.reshape(1, 4, 4, 1), LECTURE_W.reshape(3, 3, 1, 1), np.zeros(1)
    _check_conv(student, x, w, b, _("the result for the lecture's example"))
    _check_conv(student, rng.normal(size=x.shape), rng.normal(size=w.shape), b,
                _("the result for one 4x4 image and one 3x3 filter with hidden values (the lecture's sizes)"))


@check(cell="conv2d_tests", points=1)
def conv2d_output_shape(student, rng):
    """conv2d returns an (N, H-U+1, W-V+1, Q) array computed from its inputs."""
    n = int(rng.integers(2, 4))
    h, w = _sides(rng)
    p, q = _channels(rng)
    u, v = _kernel_size(rng, h, w, low=2)
    results = []
    for shape in [(n, h, w, p, u, v, q), (1, h, w, p, 1, 1, q), (n, w, h, q, w, h, p)]:
        n_, h_, w_, p_, u_, v_, q_ = shape
        args = _conv_case(rng, *shape)
        what = _("the result for x of shape {x_shape} and w of shape {w_shape}",
                 x_shape=(n_, h_, w_, p_), w_shape=(u_, v_, p_, q_))
        results.append((args, expect_shape(_call(student, "conv2d", *args), (n_, h_ - u_ + 1, w_ - v_ + 1, q_),
                                           what=what), what))
    _expect_uses_inputs(student, "conv2d", *results[0][:2], rng, results[0][2])


@check(cell="conv2d_tests", points=1)
def conv2d_sums_over_input_channels(student, rng):
    """conv2d sums over all P input channels (bias zero here)."""
    for _repeat in range(2):
        h, w = _sides(rng)
        p, q = int(rng.integers(2, 5)), int(rng.integers(1, 4))
        u, v = _kernel_size(rng, h, w, low=2)
        x, k = rng.normal(size=(int(rng.integers(1, 3)), h, w, p)), rng.normal(size=(u, v, p, q))
        _check_conv(student, x, k, np.zeros(q), _n("the result for P={count} input channel",
                                                     "the result for P={count} input channels", p))


@check(cell="conv2d_tests", points=1)
def conv2d_adds_bias_per_filter(student, rng):
    """conv2d adds b[q] to every position of feature map q."""
    h, w = _sides(rng)
    p, q = _channels(rng, low=2)
    x, k, b = _conv_case(rng, 2, h, w, p, 2, 3, q)
    _check_conv(student, x, np.zeros_like(k), b,
                _n("the result for an all-zero kernel (only the bias) with Q={count} filter",
                   "the result for all-zero kernels (only the biases) with Q={count} filters", q))
    _check_conv(student, x, k, b, _n("the result for Q={count} filter with its bias",
                                     "the result for Q={count} filters with different biases", q))


@check(cell="conv2d_tests", points=1)
def conv2d_multichannel_random(student, rng):
    """conv2d matches the reference on random batches with several channels and filters."""
    h, w = _sides(rng, low=4, high=12)
    p, q = _channels(rng, low=2)
    shapes = [(int(rng.integers(2, 4)), h, w, p, *_kernel_size(rng, h, w, low=2), q)]
    for _repeat in range(2):
        h, w = _sides(rng)
        p, q = _channels(rng)
        shapes.append((int(rng.integers(1, 4)), h, w, p, *_kernel_size(rng, h, w), q))
    for shape in shapes:
        n, h, w, p, u, v, q = shape
        _check_conv(student, *_conv_case(rng, *shape),
                    _("the result for x of shape {x_shape} and w of shape {w_shape}",
                      x_shape=(n, h, w, p), w_shape=(u, v, p, q)))


@check(cell="conv2d_tests", points=1)
def conv2d_edge_cases(student, rng):
    """conv2d handles 1x1 kernels, kernels as large as the image, integer inputs, and keeps its inputs."""
    h, w = _sides(rng, low=2)
    p, q = _channels(rng, low=2)
    _check_conv(student, *_conv_case(rng, 2, h, w, p, 1, 1, q), _("the result for a 1x1 kernel"))
    _check_conv(student, *_conv_case(rng, 2, h, w, p, h, w, q), _("the result for a kernel as large as the image"))
    x = rng.integers(-9, 10, size=(2, h, w, p))
    for what, k, b in [(_("the result for integer inputs"), rng.integers(-9, 10, size=(2, 2, p, q)),
                        rng.integers(1, 10, size=q)),
                       (_("the result for an integer x with float w and b"), rng.normal(size=(2, 2, p, q)),
                        _bias(rng, q))]:
        result = _expect_float(_call(student, "conv2d", x, k, b), what)
        expect_close(result, reference.conv2d(x, k, b), what=what)
