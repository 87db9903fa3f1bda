# variant: np.pad with (p, 0) per image axis pads only the top and the left; conv2d uses zero_pad for int paddings
# targets: zero_pad_lecture_example, zero_pad_matches_reference, conv2d_lecture_examples, conv2d_output_shape, conv2d_int_padding_values, conv2d_edge_cases
# %% zero_pad_impl
def zero_pad(x, p):
    # (p, 0): p zeros for the rows, none for the batch... or so I thought
    return np.pad(x, ((0, 0), (p, 0), (p, 0), (0, 0)))

# %% conv2d_impl
def conv2d(x, w, b, stride=1, padding="valid"):
    x = np.asarray(x, dtype=float)
    N, H, W, P = x.shape
    U, V, _, Q = w.shape
    if padding == "same":
        th = max((-(-H // stride) - 1) * stride + U - H, 0)
        tw = max((-(-W // stride) - 1) * stride + V - W, 0)
        xp = np.pad(x, ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)))
    else:
        xp = zero_pad(x, 0 if padding == "valid" else padding)
    out_h = (xp.shape[1] - U) // stride + 1
    out_w = (xp.shape[2] - V) // stride + 1
    y = np.zeros((N, out_h, out_w, Q))
    for i in range(out_h):
        for j in range(out_w):
            window = xp[:, i * stride:i * stride + U, j * stride:j * stride + V, :]
            y[:, i, j, :] = np.tensordot(window, w, axes=3) + b
    return y
