# variant: the stride is ignored in conv2d: the padding is right, but the window moves one pixel at a time
# targets: conv2d_lecture_examples, conv2d_output_shape, conv2d_int_padding_values, conv2d_same_padding_values, conv2d_edge_cases
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
    out_h, out_w = xp.shape[1] - U + 1, xp.shape[2] - V + 1
    y = np.zeros((N, out_h, out_w, Q))
    for u in range(U):
        for v in range(V):
            y += xp[:, u:u + out_h, v:v + out_w, :] @ w[u, v]
    return y + b
