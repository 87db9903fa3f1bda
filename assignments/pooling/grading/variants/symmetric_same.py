# variant: 'same' padding puts the larger half before (top/left) instead of after, so odd paddings shift every window by one; right for 'valid' and even paddings
# targets: max_pool2d_negative_inputs, avg_pool2d_matches_reference, avg_pool2d_same_padding
# %% max_pool2d_impl
def max_pool2d(x, size, stride=None, padding="valid"):
    x = np.asarray(x, dtype=np.float64)
    ph, pw = (size, size) if np.ndim(size) == 0 else size
    sh, sw = (ph, pw) if stride is None else (stride, stride) if np.ndim(stride) == 0 else stride
    N, H, W, C = x.shape
    if padding == "same":
        out_h, out_w = -(-H // sh), -(-W // sw)
        extra_h, extra_w = max((out_h - 1) * sh + ph - H, 0), max((out_w - 1) * sw + pw - W, 0)
        # split the padding evenly, any odd cell at the top / left
        top, left = extra_h - extra_h // 2, extra_w - extra_w // 2
        x = np.pad(x, ((0, 0), (top, extra_h - top), (left, extra_w - left), (0, 0)), constant_values=-np.inf)
    else:
        out_h, out_w = (H - ph) // sh + 1, (W - pw) // sw + 1
    y = np.full((N, out_h, out_w, C), -np.inf)
    for u in range(ph):
        for v in range(pw):
            y = np.maximum(y, x[:, u:u + (out_h - 1) * sh + 1:sh, v:v + (out_w - 1) * sw + 1:sw, :])
    return y

# %% avg_pool2d_impl
def avg_pool2d(x, size, stride=None, padding="valid"):
    x = np.asarray(x, dtype=np.float64)
    ph, pw = (size, size) if np.ndim(size) == 0 else size
    sh, sw = (ph, pw) if stride is None else (stride, stride) if np.ndim(stride) == 0 else stride
    N, H, W, C = x.shape
    real = np.ones((1, H, W, 1))
    if padding == "same":
        out_h, out_w = -(-H // sh), -(-W // sw)
        extra_h, extra_w = max((out_h - 1) * sh + ph - H, 0), max((out_w - 1) * sw + pw - W, 0)
        top, left = extra_h - extra_h // 2, extra_w - extra_w // 2
        pads = ((0, 0), (top, extra_h - top), (left, extra_w - left), (0, 0))
        x, real = np.pad(x, pads), np.pad(real, pads)
    else:
        out_h, out_w = (H - ph) // sh + 1, (W - pw) // sw + 1
    total = np.zeros((N, out_h, out_w, C))
    count = np.zeros((1, out_h, out_w, 1))
    for u in range(ph):
        for v in range(pw):
            rows, cols = slice(u, u + (out_h - 1) * sh + 1, sh), slice(v, v + (out_w - 1) * sw + 1, sw)
            total += x[:, rows, cols, :]
            count += real[:, rows, cols, :]
    return total / count
