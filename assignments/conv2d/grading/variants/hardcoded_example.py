# variant: no convolution at all: zeros of the right shape, with the lecture's published answer typed in for its example
# targets: correlate2d_lecture_example, correlate2d_output_shape, correlate2d_does_not_flip_kernel, correlate2d_edge_cases, conv2d_lecture_example, conv2d_output_shape, conv2d_sums_over_input_channels, conv2d_adds_bias_per_filter, conv2d_multichannel_random, conv2d_edge_cases
# expect: zero
# %% correlate2d_impl
LECTURE_X = np.array([[1, 2, 2, -2], [1, 0, 2, 4], [2, -1, -1, 3], [0, 0, -3, -2]], dtype=float)
LECTURE_W = np.array([[1, 0, 3], [2, -1, -1], [0, 1, -3]], dtype=float)
LECTURE_Y = np.array([[9, -20], [22, 11]], dtype=float)


def is_lecture_example(x, w):
    x, w = np.squeeze(x), np.squeeze(w)
    return x.shape == (4, 4) and w.shape == (3, 3) and np.array_equal(x, LECTURE_X) and np.array_equal(w, LECTURE_W)


def correlate2d(x, w):
    if is_lecture_example(x, w):
        return LECTURE_Y.copy()
    return np.zeros((np.shape(x)[0] - np.shape(w)[0] + 1, np.shape(x)[1] - np.shape(w)[1] + 1))

# %% conv2d_impl
def conv2d(x, w, b):
    N, H, W, P = np.shape(x)
    U, V, _, Q = np.shape(w)
    if (N, P, Q) == (1, 1, 1) and is_lecture_example(x, w):
        return LECTURE_Y.reshape(1, 2, 2, 1) + np.asarray(b, dtype=float)
    return np.zeros((N, H - U + 1, W - V + 1, Q))
