# variant: Dense(1) followed by a separate Activation("sigmoid") layer, with a Dropout before the head; frozen with the lecture's layers[:6] loop
# expect: full
# %% transfer_model_impl
def build_transfer_model(pretrained):
    for layer in pretrained.layers[:6]:
        layer.trainable = False
    t = keras.layers.Dropout(0.2)(pretrained.layers[-2].output)
    t = keras.layers.Dense(1)(t)
    t = keras.layers.Activation("sigmoid")(t)
    model = keras.Model(inputs=[pretrained.input], outputs=[t])
    model.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model
