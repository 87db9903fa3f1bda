# variant: keeps the old 5-way softmax layer and puts the new Dense(1, sigmoid) head on top of it (layers[-1], not layers[-2])
# targets: head_is_one_sigmoid_unit_on_the_penultimate_layer
# %% transfer_model_impl
def build_transfer_model(model_pre):
    for layer in model_pre.layers:
        layer.trainable = False
    out = keras.layers.Dense(1, activation="sigmoid")(model_pre.output)
    model = keras.Model(inputs=[model_pre.input], outputs=[out])
    model.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model
