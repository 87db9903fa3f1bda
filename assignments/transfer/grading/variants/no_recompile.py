# variant: freezes the pretrained layers only after a first fit() and does not compile again, so Keras keeps training them
# targets: pretrained_layers_frozen_and_head_trainable, fine_tuning_leaves_pretrained_weights_untouched
# %% transfer_model_impl
def build_transfer_model(model_pre):
    out = keras.layers.Dense(1, activation="sigmoid")(model_pre.layers[-2].output)
    model = keras.Model(inputs=[model_pre.input], outputs=[out])
    model.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model

# %% fine_tune_impl
model_ft = build_transfer_model(pretrained)
model_ft.fit(x_train, y_train, epochs=1, batch_size=BATCH_SIZE, verbose=0)
# freeze the pretrained layers for the remaining epochs (without calling compile() again)
for layer in model_ft.layers[:-1]:
    layer.trainable = False
history = model_ft.fit(x_train, y_train, epochs=EPOCHS - 1, batch_size=BATCH_SIZE, verbose=0)
