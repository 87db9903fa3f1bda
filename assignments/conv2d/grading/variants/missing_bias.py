# variant: the bias is never added (correct otherwise)
# targets: conv2d_adds_bias_per_filter, conv2d_multichannel_random, conv2d_edge_cases
# %% conv2d_impl
def conv2d(x, w, b):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    U, V = w.shape[:2]
    out_h, out_w = x.shape[1] - U + 1, x.shape[2] - V + 1
    y = np.zeros((x.shape[0], out_h, out_w, w.shape[3]))
    for u in range(U):
        for v in range(V):
            y += x[:, u:u + out_h, v:v + out_w, :] @ w[u, v]
    return y
