# variant: the decoder has one upsampling stage for two pooling stages, so the output is H/2 x W/2 (training fails on the shape mismatch)
# targets: build_fcn_output_shape, trained_model_outputs_masks, trained_model_mean_iou
# %% build_fcn_impl
def build_fcn(num_classes):
    model = keras.Sequential([
        keras.Input((None, None, 1)),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2DTranspose(16, 2, strides=2, activation="relu"),
        layers.Conv2D(num_classes, 1, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
