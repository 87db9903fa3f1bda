# variant: no pooling at all: zeros of the right shape, with the lecture's published 2x2 answers typed in for its 4x4 example
# targets: max_pool2d_lecture_example, max_pool2d_matches_reference, max_pool2d_negative_inputs, max_pool2d_edge_cases, avg_pool2d_lecture_example, avg_pool2d_matches_reference, avg_pool2d_same_padding, avg_pool2d_edge_cases
# expect: zero
# %% max_pool2d_impl
LECTURE_X = np.array([[5, 2, -3, 0], [2, -1, 4, -1], [-4, -4, -3, 0], [3, 5, 0, -1]], dtype=float)


def zeros_or_lecture(x, size, stride, padding, lecture_answer):
    ph, pw = (size, size) if np.ndim(size) == 0 else size
    sh, sw = (ph, pw) if stride is None else (stride, stride) if np.ndim(stride) == 0 else stride
    n, h, w, c = np.shape(x)
    if (n, h, w, c) == (1, 4, 4, 1) and (ph, pw, sh, sw) == (2, 2, 2, 2) and padding == "valid" \
            and np.array_equal(np.asarray(x)[0, :, :, 0], LECTURE_X):
        return np.array(lecture_answer, dtype=float).reshape(1, 2, 2, 1)
    if padding == "same":
        return np.zeros((n, -(-h // sh), -(-w // sw), c))
    return np.zeros((n, (h - ph) // sh + 1, (w - pw) // sw + 1, c))


def max_pool2d(x, size, stride=None, padding="valid"):
    return zeros_or_lecture(x, size, stride, padding, [[5, 4], [5, 0]])

# %% avg_pool2d_impl
def avg_pool2d(x, size, stride=None, padding="valid"):
    return zeros_or_lecture(x, size, stride, padding, [[2, 0], [0, -1]])
