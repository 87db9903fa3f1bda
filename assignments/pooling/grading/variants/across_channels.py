# variant: each window is pooled over all C channels at once (axes 1, 2 and 3) and the result copied to every channel; right for C=1 only
# targets: max_pool2d_matches_reference, max_pool2d_negative_inputs, max_pool2d_edge_cases, avg_pool2d_matches_reference, avg_pool2d_same_padding, avg_pool2d_edge_cases
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
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :]
            # the maximum of the whole window, channels included
            y[:, i, j, :] = window.max(axis=(1, 2, 3))[:, None]
    return y

# %% avg_pool2d_impl
def avg_pool2d(x, size, stride=None, padding="valid"):
    x = np.asarray(x, dtype=np.float64)
    ph, pw = (size, size) if np.ndim(size) == 0 else size
    sh, sw = (ph, pw) if stride is None else (stride, stride) if np.ndim(stride) == 0 else stride
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
            window = x[:, r0:i * sh - top + ph, c0:j * sw - left + pw, :]
            y[:, i, j, :] = window.mean(axis=(1, 2, 3))[:, None]
    return y
