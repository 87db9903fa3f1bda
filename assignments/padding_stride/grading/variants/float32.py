# variant: conv2d computes in float32 (as GPUs and Keras do by default), so its results are right to about 7 significant digits only: its value checks say "matches only to float32 precision: compute in float64"
# targets: conv2d_lecture_examples, conv2d_int_padding_values, conv2d_same_padding_values, conv2d_edge_cases
# %% conv2d_impl
def conv2d(x, w, b, stride=1, padding="valid"):
    x = np.asarray(x, dtype=np.float32)
    w = np.asarray(w, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    N, H, W, P = x.shape
    U, V, _, Q = w.shape
    s = stride

    def amounts(n, k):
        if padding == "same":
            total = max((-(-n // s) - 1) * s + k - n, 0)
            return total // 2, total - total // 2
        p = 0 if padding == "valid" else padding
        return p, p

    (top, bottom), (left, right) = amounts(H, U), amounts(W, V)
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    out_h = (H + top + bottom - U) // s + 1
    out_w = (W + left + right - V) // s + 1
    y = np.zeros((N, out_h, out_w, Q), dtype=np.float32)
    for u in range(U):
        for v in range(V):
            y += xp[:, u:u + s * (out_h - 1) + 1:s, v:v + s * (out_w - 1) + 1:s, :] @ w[u, v]
    return y + b
