# variant: the original 28x28 MNIST size instead of the lecture's 32x32 input (the padding is cropped off again)
# targets: lenet_input_and_layer_types, lenet_output_shapes_and_parameters, trained_model_accuracy
# %% build_lenet_impl
def build_lenet():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(6, (5, 5), activation="tanh"),
        keras.layers.AveragePooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(16, (5, 5), activation="tanh"),
        keras.layers.AveragePooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(120, activation="tanh"),
        keras.layers.Dense(84, activation="tanh"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model

# %% train_impl
model = build_lenet()
# MNIST digits are 28x28: undo the padding
model.fit(x_train[:, 2:30, 2:30, :], y_train, epochs=4, batch_size=64,
          validation_data=(x_val[:, 2:30, 2:30, :], y_val), verbose=2)
