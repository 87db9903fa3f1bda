# variant: correct, the loss, the optimizer and the metric given as objects (keras.losses.SparseCategoricalCrossentropy(), keras.optimizers.Adam(...)); skip connections that add (layers.Add) the encoder's features instead of concatenating them
# %% build_fcn_impl
def build_fcn(num_classes):
    inputs = keras.Input((None, None, 1))
    enc1 = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    enc2 = layers.Conv2D(16, 3, padding="same", activation="relu")(layers.MaxPooling2D(2)(enc1))
    mid = layers.Conv2D(32, 3, padding="same", activation="relu")(layers.MaxPooling2D(2)(enc2))
    mid = layers.Conv2D(32, 3, padding="same", activation="relu")(mid)
    dec2 = layers.Add()([layers.Conv2DTranspose(16, 2, strides=2, activation="relu")(mid), enc2])
    dec1 = layers.Add()([layers.Conv2DTranspose(16, 2, strides=2, activation="relu")(dec2), enc1])
    outputs = layers.Conv2D(num_classes, 1, activation="softmax")(dec1)
    fcn = keras.Model(inputs=[inputs], outputs=[outputs])
    fcn.compile(loss=keras.losses.SparseCategoricalCrossentropy(),
                optimizer=keras.optimizers.Adam(learning_rate=0.005),
                metrics=[keras.metrics.SparseCategoricalAccuracy()])
    return fcn
