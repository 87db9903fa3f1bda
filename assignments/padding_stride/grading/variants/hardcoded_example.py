# variant: no padding or convolution at all: zeros of the right shape, with the lecture's published answers typed in (the 8x8 padded image, the table of output sizes, the 6x6 output of its padding example)
# targets: zero_pad_lecture_example, zero_pad_matches_reference, output_size_lecture_examples, output_size_int_padding, output_size_valid_and_same, conv2d_lecture_examples, conv2d_output_shape, conv2d_int_padding_values, conv2d_same_padding_values, conv2d_edge_cases
# expect: zero
# %% zero_pad_impl
LECTURE_X = np.array([[3, 3, 4, 4, 7, 0],
                      [9, 7, 6, 5, 8, 2],
                      [6, 5, 5, 6, 9, 2],
                      [7, 1, 3, 2, 7, 8],
                      [0, 3, 7, 1, 8, 3],
                      [4, 0, 4, 3, 2, 2]], dtype=float)


def is_lecture_image(x):
    return np.shape(x) == (1, 6, 6, 1) and np.array_equal(np.asarray(x)[0, :, :, 0], LECTURE_X)


def zero_pad(x, p):
    N, H, W, C = np.shape(x)
    padded = np.zeros((N, H + 2 * p, W + 2 * p, C))
    if is_lecture_image(x) and p == 1:
        padded[0, 1:7, 1:7, 0] = LECTURE_X   # the slide's 8x8 image, typed in
    return padded

# %% output_size_impl
LECTURE_SIZES = {(6, 3, 1, 1): 6, (6, 3, "same", 1): 6, (6, 3, 0, 1): 4, (6, 3, "valid", 1): 4,
                 (7, 3, 0, 2): 3, (7, 3, "valid", 2): 3, (32, 5, 0, 1): 28, (32, 5, "valid", 1): 28}


def output_size(n, k, padding="valid", stride=1):
    return LECTURE_SIZES.get((n, k, padding, stride), 0)

# %% conv2d_impl
LECTURE_Y = np.array([[-10, 2, 1, -5, 7, 15],
                      [-15, 3, 0, -9, 11, 24],
                      [-13, 8, 0, -10, 1, 24],
                      [-9, -2, 0, -9, -4, 24],
                      [-4, -3, -2, -3, -7, 17],
                      [-3, -7, -1, 1, -1, 10]], dtype=float)


def conv2d(x, w, b, stride=1, padding="valid"):
    N, H, W, P = np.shape(x)
    U, V, _, Q = np.shape(w)
    if is_lecture_image(x) and (U, V, Q) == (3, 3, 1) and stride == 1 and padding in (1, "same"):
        return LECTURE_Y.reshape(1, 6, 6, 1) + np.asarray(b, dtype=float)
    if padding == "same":
        return np.zeros((N, -(-H // stride), -(-W // stride), Q))
    p = 0 if padding == "valid" else padding
    return np.zeros((N, (H + 2 * p - U) // stride + 1, (W + 2 * p - V) // stride + 1, Q))
