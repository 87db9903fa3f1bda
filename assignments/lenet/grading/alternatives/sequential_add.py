# variant: correct, the LeNet slide's code as it is (Sequential(), model.add, input_shape= on the first layer); the lecture's model.input with model.layers[-1].output; gradient ascent on a plain tensor (tape.watch) with keras.ops
# %% build_lenet_impl
from keras.layers import AveragePooling2D, Conv2D, Dense, Flatten
from keras.models import Sequential


def build_lenet():
    model = Sequential()
    model.add(Conv2D(6, (5, 5), activation="tanh", input_shape=(32, 32, 1)))
    model.add(AveragePooling2D(pool_size=(2, 2)))
    model.add(Conv2D(16, (5, 5), activation="tanh"))
    model.add(AveragePooling2D(pool_size=(2, 2)))
    model.add(Flatten())
    model.add(Dense(120, activation="tanh"))
    model.add(Dense(84, activation="tanh"))
    model.add(Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=0.003),
                  metrics=["accuracy"])
    return model

# %% feature_model_impl
def build_feature_model(model):
    first = next(layer for layer in model.layers if type(layer).__name__ == "Conv2D")
    return keras.Model(model.input, [model.layers[-1].output, first.output])

# %% filter_viz_impl
def visualize_filter(model, filter_index, steps=40, learning_rate=1.0, conv_index=0):
    conv = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"][conv_index]
    heatmap_model = keras.Model(model.input, conv.output)
    x = tf.convert_to_tensor(0.5 + np.random.default_rng(0).uniform(-0.1, 0.1, (1, 32, 32, 1)), tf.float32)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = keras.ops.mean(heatmap_model(x)[..., filter_index])
        step = tf.math.l2_normalize(tape.gradient(score, x))
        x = tf.clip_by_value(x + learning_rate * step, 0.0, 1.0)
    return keras.ops.convert_to_numpy(x)
