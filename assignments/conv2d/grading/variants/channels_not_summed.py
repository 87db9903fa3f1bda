# variant: the input channels are averaged instead of summed (right for P=1 only)
# targets: conv2d_sums_over_input_channels, conv2d_adds_bias_per_filter, conv2d_multichannel_random, conv2d_edge_cases
# %% conv2d_impl
def conv2d(x, w, b):
    N, H, W, P = x.shape
    U, V, _, Q = w.shape
    y = np.zeros((N, H - U + 1, W - V + 1, Q))
    for n in range(N):
        for q in range(Q):
            # combine the P per-channel feature maps into one
            maps = [correlate2d(x[n, :, :, p], w[:, :, p, q]) for p in range(P)]
            y[n, :, :, q] = np.mean(maps, axis=0) + b[q]
    return y
