# variant: 'same' padding adds zeros that are counted in the average (divides by ph * pw everywhere); right for 'valid'
# targets: avg_pool2d_matches_reference, avg_pool2d_same_padding
# %% avg_pool2d_impl
def avg_pool2d(x, size, stride=None, padding="valid"):
    x = np.asarray(x, dtype=np.float64)
    ph, pw = (size, size) if np.ndim(size) == 0 else size
    sh, sw = (ph, pw) if stride is None else (stride, stride) if np.ndim(stride) == 0 else stride
    N, H, W, C = x.shape
    if padding == "same":
        out_h, out_w = -(-H // sh), -(-W // sw)
        extra_h, extra_w = max((out_h - 1) * sh + ph - H, 0), max((out_w - 1) * sw + pw - W, 0)
        # zero padding, as for a convolution
        x = np.pad(x, ((0, 0), (extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2), (0, 0)))
    else:
        out_h, out_w = (H - ph) // sh + 1, (W - pw) // sw + 1
    y = np.zeros((N, out_h, out_w, C))
    for u in range(ph):
        for v in range(pw):
            y += x[:, u:u + (out_h - 1) * sh + 1:sh, v:v + (out_w - 1) * sw + 1:sw, :]
    return y / (ph * pw)
