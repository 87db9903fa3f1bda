# variant: a batch (N, H, W) is scored image by image and the per-image mean IoUs are averaged, instead of counting over all pixels at once
# targets: mean_iou_hand_examples, mean_iou_matches_reference
# %% mean_iou_impl
def mean_iou(labels, predicted, num_classes):
    y_true, y_pred = np.asarray(labels), np.asarray(predicted)
    if y_true.ndim < 3:  # one label map: a batch of one
        y_true, y_pred = y_true[None], y_pred[None]
    scores = []
    for t, p in zip(y_true, y_pred):
        ious = []
        for c in range(num_classes):
            union = np.sum((t == c) | (p == c))
            if union > 0:
                ious.append(np.sum((t == c) & (p == c)) / union)
        scores.append(np.mean(ious))
    return float(np.mean(scores))
