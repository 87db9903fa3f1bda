# variant: the input is declared as a colour image (32, 32, 3), as for ImageNet photos; trained on the grey digits copied into 3 channels
# targets: lenet_input_and_layer_types, lenet_output_shapes_and_parameters, trained_model_accuracy
# %% build_lenet_impl
def build_lenet():
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
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
# the model wants 3 channels: repeat the grey channel
model.fit(np.repeat(x_train, 3, axis=-1), y_train, epochs=4, batch_size=64,
          validation_data=(np.repeat(x_val, 3, axis=-1), y_val), verbose=2)
