# variant: correct, a plain keras.Sequential stack without skip connections: max pooling encoder, UpSampling2D + 3x3 Conv2D decoder
# %% build_fcn_impl
def build_fcn(num_classes):
    fcn = keras.Sequential([
        keras.Input((None, None, 1)),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.UpSampling2D(2),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.UpSampling2D(2),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.Conv2D(num_classes, 1, activation="softmax"),
    ])
    fcn.compile(optimizer=keras.optimizers.Adam(0.005), loss="sparse_categorical_crossentropy",
                metrics=["accuracy"])
    return fcn
