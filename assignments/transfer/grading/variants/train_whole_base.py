# variant: never freezes anything: the whole pretrained network is trained on the 20 target images
# targets: pretrained_layers_frozen_and_head_trainable, fine_tuning_leaves_pretrained_weights_untouched
# %% transfer_model_impl
def build_transfer_model(model_pre):
    out = keras.layers.Dense(1, activation="sigmoid")(model_pre.layers[-2].output)
    model = keras.Model(inputs=[model_pre.input], outputs=[out])
    model.compile(loss="binary_crossentropy", optimizer="sgd")
    return model
