# variant: the loss is given as SparseCategoricalCrossentropy(from_logits=True) although the network already ends in a softmax, so the loss applies a second softmax
# targets: build_fcn_compiled_for_labels
# %% build_fcn_impl
def build_fcn(num_classes):
    inputs = keras.Input((None, None, 1))
    enc1 = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    enc2 = layers.Conv2D(16, 3, padding="same", activation="relu")(layers.MaxPooling2D(2)(enc1))
    mid = layers.Conv2D(32, 3, padding="same", activation="relu")(layers.MaxPooling2D(2)(enc2))
    mid = layers.Conv2D(32, 3, padding="same", activation="relu")(mid)
    dec2 = layers.Concatenate()([layers.Conv2DTranspose(16, 2, strides=2, activation="relu")(mid), enc2])
    dec1 = layers.Concatenate()([layers.Conv2DTranspose(8, 2, strides=2, activation="relu")(dec2), enc1])
    outputs = layers.Conv2D(num_classes, 1, activation="softmax")(dec1)
    fcn = keras.Model(inputs, outputs)
    fcn.compile(optimizer=keras.optimizers.Adam(0.005),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return fcn
