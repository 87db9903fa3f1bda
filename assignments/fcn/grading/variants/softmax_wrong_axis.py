# variant: the softmax runs over axis 1 (the rows of the image) instead of the class axis, so the class probabilities of a pixel do not sum to 1
# targets: build_fcn_softmax_over_classes
# %% build_fcn_impl
def build_fcn(num_classes):
    inputs = keras.Input((None, None, 1))
    enc1 = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    enc2 = layers.Conv2D(16, 3, padding="same", activation="relu")(layers.MaxPooling2D(2)(enc1))
    mid = layers.MaxPooling2D(2)(enc2)
    mid = layers.Conv2D(32, 3, padding="same", activation="relu")(mid)
    mid = layers.Conv2D(32, 3, padding="same", activation="relu")(mid)
    dec2 = layers.Concatenate()([layers.Conv2DTranspose(16, 2, strides=2, activation="relu")(mid), enc2])
    dec1 = layers.Concatenate()([layers.Conv2DTranspose(8, 2, strides=2, activation="relu")(dec2), enc1])
    scores = layers.Conv2D(num_classes, 1)(dec1)
    outputs = layers.Softmax(axis=1)(scores)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return model
