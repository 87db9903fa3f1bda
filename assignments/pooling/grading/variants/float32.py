# variant: pools in float32 (as GPUs and Keras do by default) and returns float32 arrays, right to about 7 significant digits only: every check says "matches only to float32 precision: compute in float64"
# targets: max_pool2d_lecture_example, max_pool2d_matches_reference, max_pool2d_negative_inputs, max_pool2d_edge_cases, avg_pool2d_lecture_example, avg_pool2d_matches_reference, avg_pool2d_same_padding, avg_pool2d_edge_cases
# %% max_pool2d_impl
def pool_settings(x, size, stride, padding, fill):
    """x in float32, padded for 'same' with ``fill``; the window and stride sizes and the output size."""
    x = np.asarray(x, dtype=np.float32)
    ph, pw = (size, size) if np.ndim(size) == 0 else size
    sh, sw = (ph, pw) if stride is None else (stride, stride) if np.ndim(stride) == 0 else stride
    n, h, w, c = x.shape
    if padding == "same":
        out_h, out_w = -(-h // sh), -(-w // sw)
        pad_h, pad_w = max((out_h - 1) * sh + ph - h, 0), max((out_w - 1) * sw + pw - w, 0)
        x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)),
                   constant_values=fill)
    else:
        out_h, out_w = (h - ph) // sh + 1, (w - pw) // sw + 1
    return x, ph, pw, sh, sw, out_h, out_w


def max_pool2d(x, size, stride=None, padding="valid"):
    x, ph, pw, sh, sw, out_h, out_w = pool_settings(x, size, stride, padding, -np.inf)
    y = np.full((x.shape[0], out_h, out_w, x.shape[3]), -np.inf, dtype=np.float32)
    for u in range(ph):
        for v in range(pw):
            y = np.maximum(y, x[:, u:u + (out_h - 1) * sh + 1:sh, v:v + (out_w - 1) * sw + 1:sw, :])
    return y

# %% avg_pool2d_impl
def avg_pool2d(x, size, stride=None, padding="valid"):
    x, ph, pw, sh, sw, out_h, out_w = pool_settings(x, size, stride, padding, np.nan)
    total = np.zeros((x.shape[0], out_h, out_w, x.shape[3]), dtype=np.float32)
    count = np.zeros_like(total)
    for u in range(ph):
        for v in range(pw):
            window = x[:, u:u + (out_h - 1) * sh + 1:sh, v:v + (out_w - 1) * sw + 1:sw, :]
            total += np.nan_to_num(window)        # padded cells (NaN) add nothing ...
            count += ~np.isnan(window)            # ... and are not counted
    return total / count
