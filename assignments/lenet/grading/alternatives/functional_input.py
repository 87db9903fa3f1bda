# variant: correct, the functional API throughout, as on the heatmap slide; build_feature_model and visualize_filter use the lecture's model.input (singular)
# %% build_lenet_impl
def build_lenet():
    inp_t = keras.Input(shape=(32, 32, 1))
    t1 = keras.layers.Conv2D(6, (5, 5), activation="tanh")(inp_t)
    t = keras.layers.AveragePooling2D(pool_size=(2, 2))(t1)
    t = keras.layers.Conv2D(16, (5, 5), activation="tanh")(t)
    t = keras.layers.AveragePooling2D(pool_size=(2, 2))(t)
    t = keras.layers.Flatten()(t)
    t = keras.layers.Dense(120, activation="tanh")(t)
    t = keras.layers.Dense(84, activation="tanh")(t)
    t2 = keras.layers.Dense(10, activation="softmax")(t)
    model1 = keras.Model(inputs=[inp_t], outputs=[t2])
    model1.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model1

# %% train_impl
model = build_lenet()
model.fit(x_train, y_train, epochs=4, batch_size=32, verbose=0)

# %% feature_model_impl
def build_feature_model(model):
    t1 = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)][0].output
    return keras.Model(inputs=[model.input], outputs=[model.outputs[0], t1])

# %% filter_viz_impl
def visualize_filter(model, filter_index, steps=40, learning_rate=1.0, conv_index=0):
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    heatmaps = keras.Model(inputs=model.input, outputs=convs[conv_index].output)
    image = tf.Variable(np.random.uniform(0.4, 0.6, size=(1, 32, 32, 1)).astype("float32"))
    for _ in range(steps):
        with tf.GradientTape() as tape:
            activation = tf.reduce_mean(heatmaps(image)[:, :, :, filter_index])
        gradient = tape.gradient(activation, image)
        image.assign_add(learning_rate * gradient / (tf.norm(gradient) + 1e-8))
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
    return image.numpy()
