# variant: the output has one row and one column too few ((H' - p) // s instead of (H' - p) // s + 1 windows per axis)
# targets: max_pool2d_lecture_example, max_pool2d_matches_reference, max_pool2d_negative_inputs, max_pool2d_edge_cases, avg_pool2d_lecture_example, avg_pool2d_matches_reference, avg_pool2d_same_padding, avg_pool2d_edge_cases
# %% max_pool2d_impl
def max_pool2d(x, size, stride=None, padding="valid"):
    x = np.asarray(x, dtype=np.float64)
    ph, pw = (size, size) if np.ndim(size) == 0 else size
    sh, sw = (ph, pw) if stride is None else (stride, stride) if np.ndim(stride) == 0 else stride
    if padding == "same":
        H, W = x.shape[1:3]
        extra_h = max((-(-H // sh) - 1) * sh + ph - H, 0)
        extra_w = max((-(-W // sw) - 1) * sw + pw - W, 0)
        x = np.pad(x, ((0, 0), (extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2), (0, 0)),
                   constant_values=-np.inf)
    N, H, W, C = x.shape
    out_h, out_w = (H - ph) // sh, (W - pw) // sw
    y = np.zeros((N, out_h, out_w, C))
    for i in range(out_h):
        for j in range(out_w):
            y[:, i, j, :] = x[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :].max(axis=(1, 2))
    return y

# %% avg_pool2d_impl
def avg_pool2d(x, size, stride=None, padding="valid"):
    x = np.asarray(x, dtype=np.float64)
    ph, pw = (size, size) if np.ndim(size) == 0 else size
    sh, sw = (ph, pw) if stride is None else (stride, stride) if np.ndim(stride) == 0 else stride
    real = np.ones_like(x)
    if padding == "same":
        H, W = x.shape[1:3]
        extra_h = max((-(-H // sh) - 1) * sh + ph - H, 0)
        extra_w = max((-(-W // sw) - 1) * sw + pw - W, 0)
        pads = ((0, 0), (extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2), (0, 0))
        x, real = np.pad(x, pads), np.pad(real, pads)
    N, H, W, C = x.shape
    out_h, out_w = (H - ph) // sh, (W - pw) // sw
    y = np.zeros((N, out_h, out_w, C))
    for i in range(out_h):
        for j in range(out_w):
            rows, cols = slice(i * sh, i * sh + ph), slice(j * sw, j * sw + pw)
            y[:, i, j, :] = x[:, rows, cols, :].sum(axis=(1, 2)) / real[:, rows, cols, :].sum(axis=(1, 2))
    return y
