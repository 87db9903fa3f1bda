# variant: output size floor((n + 2p - k) / s) without the + 1 (the last window is lost); conv2d sizes its output with it
# targets: output_size_lecture_examples, output_size_int_padding, output_size_valid_and_same, conv2d_lecture_examples, conv2d_output_shape, conv2d_int_padding_values, conv2d_same_padding_values, conv2d_edge_cases
# %% output_size_impl
def output_size(n, k, padding="valid", stride=1):
    if padding == "same":
        return -(-n // stride)
    p = 0 if padding == "valid" else padding
    return (n + 2 * p - k) // stride

# %% conv2d_impl
def conv2d(x, w, b, stride=1, padding="valid"):
    x = np.asarray(x, dtype=float)
    N, H, W, P = x.shape
    U, V, _, Q = w.shape

    def pads(n, k):
        if padding == "same":
            total = max((-(-n // stride) - 1) * stride + k - n, 0)
            return total // 2, total - total // 2
        p = 0 if padding == "valid" else padding
        return p, p

    (top, bottom), (left, right) = pads(H, U), pads(W, V)
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    out_h, out_w = output_size(H, U, padding, stride), output_size(W, V, padding, stride)
    y = np.zeros((N, out_h, out_w, Q))
    for i in range(out_h):
        for j in range(out_w):
            window = xp[:, i * stride:i * stride + U, j * stride:j * stride + V, :]
            y[:, i, j, :] = np.tensordot(window, w, axes=3) + b
    return y
