# variant: Conv2D with padding="same", so the feature maps keep the size of their input (32x32, then 16x16)
# targets: lenet_output_shapes_and_parameters
# %% build_lenet_impl
def build_lenet():
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 1)),
        keras.layers.Conv2D(6, (5, 5), activation="tanh", padding="same"),
        keras.layers.AveragePooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(16, (5, 5), activation="tanh", padding="same"),
        keras.layers.AveragePooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(120, activation="tanh"),
        keras.layers.Dense(84, activation="tanh"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model
