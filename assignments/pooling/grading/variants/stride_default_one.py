# variant: the stride defaults to 1 instead of the pool size (overlapping windows unless a stride is given)
# targets: max_pool2d_lecture_example, max_pool2d_edge_cases, avg_pool2d_lecture_example, avg_pool2d_edge_cases
# %% max_pool2d_impl
def max_pool2d(x, pool_size, stride=1, padding="valid"):
    if stride is None:
        stride = 1
    x = np.asarray(x, dtype=np.float64)
    ph, pw = (pool_size, pool_size) if np.ndim(pool_size) == 0 else pool_size
    sh, sw = (stride, stride) if np.ndim(stride) == 0 else stride
    N, H, W, C = x.shape
    if padding == "same":
        out_h, out_w = -(-H // sh), -(-W // sw)
        extra_h, extra_w = max((out_h - 1) * sh + ph - H, 0), max((out_w - 1) * sw + pw - W, 0)
        x = np.pad(x, ((0, 0), (extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2), (0, 0)),
                   constant_values=-np.inf)
    else:
        out_h, out_w = (H - ph) // sh + 1, (W - pw) // sw + 1
    y = np.zeros((N, out_h, out_w, C))
    for i in range(out_h):
        for j in range(out_w):
            y[:, i, j, :] = x[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :].max(axis=(1, 2))
    return y

# %% avg_pool2d_impl
def avg_pool2d(x, pool_size, stride=1, padding="valid"):
    if stride is None:
        stride = 1
    x = np.asarray(x, dtype=np.float64)
    ph, pw = (pool_size, pool_size) if np.ndim(pool_size) == 0 else pool_size
    sh, sw = (stride, stride) if np.ndim(stride) == 0 else stride
    N, H, W, C = x.shape
    top = left = 0
    if padding == "same":
        out_h, out_w = -(-H // sh), -(-W // sw)
        top, left = max((out_h - 1) * sh + ph - H, 0) // 2, max((out_w - 1) * sw + pw - W, 0) // 2
    else:
        out_h, out_w = (H - ph) // sh + 1, (W - pw) // sw + 1
    y = np.zeros((N, out_h, out_w, C))
    for i in range(out_h):
        for j in range(out_w):
            r0, c0 = max(i * sh - top, 0), max(j * sw - left, 0)
            y[:, i, j, :] = x[:, r0:i * sh - top + ph, c0:j * sw - left + pw, :].mean(axis=(1, 2))
    return y
