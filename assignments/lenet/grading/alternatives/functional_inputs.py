# variant: correct, build_lenet with the functional API (a loop over the layers); model.inputs / model.outputs (plural) everywhere, the Conv2D layers found with get_layer by name
# %% build_lenet_impl
def build_lenet():
    inputs = keras.Input(shape=(32, 32, 1), name="digits")
    x = inputs
    for layer in [keras.layers.Conv2D(6, (5, 5), activation="tanh", name="conv1"),
                  keras.layers.AveragePooling2D(pool_size=(2, 2)),
                  keras.layers.Conv2D(16, (5, 5), activation="tanh", name="conv2"),
                  keras.layers.AveragePooling2D(pool_size=(2, 2)),
                  keras.layers.Flatten(),
                  keras.layers.Dense(120, activation="tanh"),
                  keras.layers.Dense(84, activation="tanh"),
                  keras.layers.Dense(10, activation="softmax")]:
        x = layer(x)
    lenet = keras.Model(inputs=inputs, outputs=x, name="lenet5")
    lenet.compile(optimizer=keras.optimizers.Adam(0.003), loss="categorical_crossentropy", metrics=["accuracy"])
    return lenet

# %% feature_model_impl
def conv_layer_names(model):
    return [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def build_feature_model(model):
    first = model.get_layer(conv_layer_names(model)[0])
    return keras.Model(inputs=model.inputs, outputs=[model.outputs[0], first.output])

# %% filter_viz_impl
def visualize_filter(model, filter_index, steps=40, learning_rate=1.0, conv_index=0):
    conv = model.get_layer(conv_layer_names(model)[conv_index])
    heatmap_model = keras.Model(inputs=model.inputs, outputs=conv.output)
    image = tf.Variable(np.full((1, 32, 32, 1), 0.5, np.float32)
                        + np.random.default_rng(filter_index).uniform(-0.1, 0.1, (1, 32, 32, 1)).astype(np.float32))
    for _ in range(steps):
        with tf.GradientTape() as tape:
            activation = tf.reduce_mean(heatmap_model(image)[0, :, :, filter_index])
        image.assign(tf.clip_by_value(image + learning_rate * tf.math.l2_normalize(tape.gradient(activation, image)),
                                      0.0, 1.0))
    return image.numpy()
