# variant: the mean runs over all num_classes classes, an absent class (0 / 0) counted as IoU 0
# targets: mean_iou_absent_classes, mean_iou_matches_reference
# %% mean_iou_impl
def mean_iou(labels, predicted, num_classes):
    y_true, y_pred = np.asarray(labels), np.asarray(predicted)
    ious = np.zeros(num_classes)
    for c in range(num_classes):
        tp = np.sum((y_true == c) & (y_pred == c))
        fp = np.sum((y_true != c) & (y_pred == c))
        fn = np.sum((y_true == c) & (y_pred != c))
        if tp + fp + fn > 0:
            ious[c] = tp / (tp + fp + fn)
    return float(ious.mean())
