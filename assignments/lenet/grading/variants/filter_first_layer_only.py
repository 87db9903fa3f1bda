# variant: visualize_filter ignores conv_index and always excites a filter of the first Conv2D layer
# targets: filter_visualization_second_layer
# %% filter_viz_impl
def visualize_filter(net, filter_index, steps=40, learning_rate=1.0, conv_index=0):
    first_conv = next(layer for layer in net.layers if isinstance(layer, keras.layers.Conv2D))
    heatmap_model = keras.Model(inputs=net.inputs[0], outputs=first_conv.output)
    noise = np.random.default_rng(filter_index).uniform(-0.1, 0.1, size=(1, 32, 32, 1))
    image = tf.Variable((0.5 + noise).astype(np.float32))
    for _ in range(steps):
        with tf.GradientTape() as tape:
            activation = tf.reduce_mean(heatmap_model(image)[..., filter_index])
        gradient = tf.math.l2_normalize(tape.gradient(activation, image))
        image.assign(tf.clip_by_value(image + learning_rate * gradient, 0.0, 1.0))
    return image.numpy()
