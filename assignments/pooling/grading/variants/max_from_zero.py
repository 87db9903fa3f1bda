# variant: the running maximum starts at 0 instead of -inf, so a window of negative numbers gives 0 (padding otherwise right)
# targets: max_pool2d_matches_reference, max_pool2d_negative_inputs, max_pool2d_edge_cases
# %% max_pool2d_impl
def max_pool2d(x, size, stride=None, padding="valid"):
    x = np.asarray(x, dtype=np.float64)
    ph, pw = (size, size) if np.ndim(size) == 0 else size
    sh, sw = (ph, pw) if stride is None else (stride, stride) if np.ndim(stride) == 0 else stride
    N, H, W, C = x.shape
    if padding == "same":
        out_h, out_w = -(-H // sh), -(-W // sw)
        extra_h, extra_w = max((out_h - 1) * sh + ph - H, 0), max((out_w - 1) * sw + pw - W, 0)
        x = np.pad(x, ((0, 0), (extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2), (0, 0)),
                   constant_values=-np.inf)
    else:
        out_h, out_w = (H - ph) // sh + 1, (W - pw) // sw + 1
    y = np.zeros((N, out_h, out_w, C))
    for n in range(N):
        for i in range(out_h):
            for j in range(out_w):
                for c in range(C):
                    best = 0.0
                    for u in range(ph):
                        for v in range(pw):
                            best = max(best, x[n, i * sh + u, j * sw + v, c])
                    y[n, i, j, c] = best
    return y
