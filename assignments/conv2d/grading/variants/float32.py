# variant: computes in float32 (as GPUs and Keras do by default), so results are right to about 7 significant digits only: every value check says "matches only to float32 precision: compute in float64"
# targets: correlate2d_lecture_example, correlate2d_does_not_flip_kernel, correlate2d_edge_cases, conv2d_lecture_example, conv2d_sums_over_input_channels, conv2d_adds_bias_per_filter, conv2d_multichannel_random, conv2d_edge_cases
# %% correlate2d_impl
def correlate2d(x, w):
    x = np.asarray(x, dtype=np.float32)
    w = np.asarray(w, dtype=np.float32)
    U, V = w.shape
    out_h, out_w = x.shape[0] - U + 1, x.shape[1] - V + 1
    y = np.zeros((out_h, out_w), dtype=np.float32)
    for u in range(U):
        for v in range(V):
            y += w[u, v] * x[u:u + out_h, v:v + out_w]
    return y

# %% conv2d_impl
def conv2d(x, w, b):
    x = np.asarray(x, dtype=np.float32)
    w = np.asarray(w, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    U, V = w.shape[:2]
    out_h, out_w = x.shape[1] - U + 1, x.shape[2] - V + 1
    y = np.zeros((x.shape[0], out_h, out_w, w.shape[3]), dtype=np.float32)
    for u in range(U):
        for v in range(V):
            y += x[:, u:u + out_h, v:v + out_w, :] @ w[u, v]
    return y + b
