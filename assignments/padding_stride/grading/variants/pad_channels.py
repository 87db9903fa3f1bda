# variant: np.pad(x, p) pads every axis, the batch and the channels too; conv2d uses zero_pad for int paddings
# targets: zero_pad_lecture_example, zero_pad_matches_reference, conv2d_lecture_examples, conv2d_output_shape, conv2d_int_padding_values, conv2d_edge_cases
# %% zero_pad_impl
def zero_pad(x, p):
    return np.pad(x, p)

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
    y = np.zeros((xp.shape[0], out_h, out_w, Q))
    for u in range(U):
        for v in range(V):
            block = xp[:, u:u + stride * (out_h - 1) + 1:stride, v:v + stride * (out_w - 1) + 1:stride, :]
            y += block @ w[u, v]
    return y + b
