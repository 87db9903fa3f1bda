# variant: channels-first (PyTorch) layout by reshape instead of transpose: x read as (N, P, H, W), w as (Q, P, U, V); right only for P = Q = 1
# targets: conv2d_sums_over_input_channels, conv2d_adds_bias_per_filter, conv2d_multichannel_random, conv2d_edge_cases
# %% conv2d_impl
def conv2d(x, w, b):
    N, H, W, P = x.shape
    U, V, _, Q = w.shape
    # switch to channels-first, the layout I know from PyTorch
    xc = x.reshape(N, P, H, W)
    wc = w.reshape(Q, P, U, V)
    out_h, out_w = H - U + 1, W - V + 1
    y = np.zeros((N, Q, out_h, out_w))
    for q in range(Q):
        y[:, q] = b[q]
        for p in range(P):
            for u in range(U):
                for v in range(V):
                    y[:, q] += xc[:, p, u:u + out_h, v:v + out_w] * wc[q, p, u, v]
    return y.reshape(N, out_h, out_w, Q)
