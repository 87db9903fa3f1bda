# variant: the per-pixel classifier is a Dense layer (applied on the channel axis of every pixel) instead of a 1x1 Conv2D: it runs and trains, but the network is not fully convolutional
# targets: build_fcn_is_fully_convolutional
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
    # a classifier head: Dense acts on the last axis, so it works on every pixel
    outputs = layers.Dense(num_classes, activation="softmax")(dec1)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return model
