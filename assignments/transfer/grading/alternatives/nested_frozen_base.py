# variant: the Keras guide's pattern: a base model up to pretrained.layers[-2], frozen as a whole (base.trainable = False) and called with training=False inside a new functional model; unfrozen with base.trainable = True and Adam(1e-5), as in the guide
# expect: full
# %% transfer_model_impl
def build_transfer_model(pretrained):
    base_model = keras.Model(inputs=pretrained.inputs, outputs=pretrained.layers[-2].output)
    base_model.trainable = False
    inputs = keras.Input(shape=(32, 32, 1))
    x = base_model(inputs, training=False)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    return model

# %% unfreeze_impl
base_model = next(layer for layer in model_unfrozen.layers if isinstance(layer, keras.Model))
base_model.trainable = True
base_model.get_layer("conv1").trainable = False
model_unfrozen.compile(optimizer=keras.optimizers.Adam(1e-5), loss="binary_crossentropy", metrics=["accuracy"])
history_unfrozen = model_unfrozen.fit(x_train, y_train, epochs=UNFROZEN_EPOCHS, batch_size=BATCH_SIZE, verbose=0)
