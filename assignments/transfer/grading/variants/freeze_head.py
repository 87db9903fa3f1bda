# variant: freezes the new head instead of the pretrained layers: the pretrained weights get trained, the head stays random
# targets: pretrained_layers_frozen_and_head_trainable, fine_tuning_leaves_pretrained_weights_untouched
# %% transfer_model_impl
def build_transfer_model(model_pre):
    head = keras.layers.Dense(1, activation="sigmoid")
    out = head(model_pre.layers[-2].output)
    model = keras.Model(inputs=model_pre.input, outputs=out)
    head.trainable = False  # "freeze the new layer"
    model.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model
