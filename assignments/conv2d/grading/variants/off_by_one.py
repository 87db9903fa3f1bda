# variant: output size H-U x W-V instead of H-U+1 x W-V+1 (the last row and column are lost); conv2d built on it
# targets: correlate2d_lecture_example, correlate2d_output_shape, correlate2d_does_not_flip_kernel, correlate2d_edge_cases, conv2d_lecture_example, conv2d_output_shape, conv2d_sums_over_input_channels, conv2d_adds_bias_per_filter, conv2d_multichannel_random, conv2d_edge_cases
# %% correlate2d_impl
def correlate2d(x, w):
    H, W = x.shape
    U, V = w.shape
    y = np.zeros((H - U, W - V))
    for i in range(H - U):
        for j in range(W - V):
            y[i, j] = np.sum(x[i:i + U, j:j + V] * w)
    return y

# %% conv2d_impl
def conv2d(x, w, b):
    N, H, W, P = x.shape
    U, V, _, Q = w.shape
    y = np.zeros((N, H - U, W - V, Q))
    for n in range(N):
        for q in range(Q):
            for p in range(P):
                y[n, :, :, q] += correlate2d(x[n, :, :, p], w[:, :, p, q])
            y[n, :, :, q] += b[q]
    return y
