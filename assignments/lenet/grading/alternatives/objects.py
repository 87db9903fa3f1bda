# variant: correct, the loss, the optimizer and the metric given as objects (keras.losses.CategoricalCrossentropy(), keras.optimizers.Adam(...), keras.metrics.CategoricalAccuracy())
# %% build_lenet_impl
def build_lenet():
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 1)),
        keras.layers.Conv2D(6, (5, 5), activation="tanh"),
        keras.layers.AveragePooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(16, (5, 5), activation="tanh"),
        keras.layers.AveragePooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(120, activation="tanh"),
        keras.layers.Dense(84, activation="tanh"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss=keras.losses.CategoricalCrossentropy(),
                  optimizer=keras.optimizers.Adam(learning_rate=0.003),
                  metrics=[keras.metrics.CategoricalAccuracy()])
    return model
