# variant: correct, no pooling layer: each MaxPooling2D(2) of the solution becomes a Conv2D(..., strides=2) (the lecture's stride slide), followed by a 3x3 Conv2D as before; Conv2DTranspose decoder with concatenated skip connections
# %% build_fcn_impl
def build_fcn(num_classes):
    inputs = keras.Input((None, None, 1))
    enc1 = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)                    # H x W
    enc2 = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(enc1)          # H/2
    enc2 = layers.Conv2D(16, 3, padding="same", activation="relu")(enc2)
    mid = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(enc2)           # H/4
    mid = layers.Conv2D(32, 3, padding="same", activation="relu")(mid)
    dec2 = layers.Conv2DTranspose(16, 2, strides=2, activation="relu")(mid)
    dec2 = layers.Concatenate()([dec2, enc2])
    dec1 = layers.Conv2DTranspose(8, 2, strides=2, activation="relu")(dec2)
    dec1 = layers.Concatenate()([dec1, enc1])
    outputs = layers.Conv2D(num_classes, 1, activation="softmax")(dec1)
    fcn = keras.Model(inputs, outputs)
    fcn.compile(optimizer=keras.optimizers.Adam(0.005), loss="sparse_categorical_crossentropy",
                metrics=["accuracy"])
    return fcn
