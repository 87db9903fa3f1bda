# variant: the head is a small keras.Sequential, Dense(1) then Activation("sigmoid"), applied to the penultimate layer's output with the functional API; frozen by name
# expect: full
# %% transfer_model_impl
def build_transfer_model(pretrained):
    for name in ["conv1", "pool1", "conv2", "pool2", "features"]:
        pretrained.get_layer(name).trainable = False
    head = keras.Sequential([keras.layers.Dense(1), keras.layers.Activation("sigmoid")], name="head")
    probability = head(pretrained.get_layer("features").output)
    model = keras.Model(inputs=pretrained.inputs, outputs=probability)
    model.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model
