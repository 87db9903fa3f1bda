# variant: categorical crossentropy with the one-unit sigmoid head: it runs, but the loss is 0 for any output, so the head never learns
# targets: compiled_with_binary_crossentropy, fine_tuned_model_labels_hidden_digits, transfer_beats_scratch_on_hidden_digits
# %% transfer_model_impl
def build_transfer_model(model_pre):
    for layer in model_pre.layers[:-1]:
        layer.trainable = False
    out = keras.layers.Dense(1, activation="sigmoid")(model_pre.layers[-2].output)
    model = keras.Model(inputs=[model_pre.input], outputs=[out])
    model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model
