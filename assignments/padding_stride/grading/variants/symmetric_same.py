# variant: "same" as k // 2 zeros on both sides (right for odd kernels and stride 1 only, not Keras' asymmetric rule)
# targets: output_size_valid_and_same, conv2d_output_shape, conv2d_same_padding_values, conv2d_edge_cases
# %% output_size_impl
def output_size(n, k, padding="valid", stride=1):
    if padding == "same":
        p = k // 2
    elif padding == "valid":
        p = 0
    else:
        p = padding
    return (n + 2 * p - k) // stride + 1

# %% conv2d_impl
def conv2d(x, w, b, stride=1, padding="valid"):
    x = np.asarray(x, dtype=float)
    N, H, W, P = x.shape
    U, V, _, Q = w.shape
    if padding == "same":
        ph, pw = U // 2, V // 2   # "same": half the kernel on each side
    elif padding == "valid":
        ph = pw = 0
    else:
        ph = pw = padding
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    out_h = (H + 2 * ph - U) // stride + 1
    out_w = (W + 2 * pw - V) // stride + 1
    y = np.zeros((N, out_h, out_w, Q))
    for i in range(out_h):
        for j in range(out_w):
            window = xp[:, i * stride:i * stride + U, j * stride:j * stride + V, :]
            y[:, i, j, :] = np.tensordot(window, w, axes=3) + b
    return y
