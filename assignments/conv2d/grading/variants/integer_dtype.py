# variant: the output array takes the input's dtype, so integer inputs give an integer (truncated) result
# targets: correlate2d_edge_cases, conv2d_edge_cases
# %% correlate2d_impl
def correlate2d(x, w):
    H, W = x.shape
    U, V = w.shape
    y = np.zeros_like(x, shape=(H - U + 1, W - V + 1))
    for i in range(H - U + 1):
        for j in range(W - V + 1):
            y[i, j] = np.sum(x[i:i + U, j:j + V] * w)
    return y

# %% conv2d_impl
def conv2d(x, w, b):
    N, H, W, P = x.shape
    U, V, _, Q = w.shape
    y = np.zeros((N, H - U + 1, W - V + 1, Q), dtype=x.dtype)
    for n in range(N):
        for q in range(Q):
            for p in range(P):
                y[n, :, :, q] += correlate2d(x[n, :, :, p], w[:, :, p, q])
            y[n, :, :, q] += b[q]
    return y
