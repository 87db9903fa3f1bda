# variant: loss, optimizer and metrics given as Keras objects everywhere (BinaryCrossentropy(), SGD(learning_rate=...), BinaryAccuracy())
# expect: full
# %% transfer_model_impl
def build_transfer_model(pretrained):
    out = keras.layers.Dense(1, activation=keras.activations.sigmoid)(pretrained.layers[-2].output)
    model = keras.Model(inputs=pretrained.input, outputs=out)
    for layer in model.layers[:-1]:
        layer.trainable = False
    model.compile(loss=keras.losses.BinaryCrossentropy(), optimizer=keras.optimizers.SGD(learning_rate=0.01),
                  metrics=[keras.metrics.BinaryAccuracy()])
    return model

# %% scratch_impl
model_scratch = keras.models.clone_model(model_ft)
for layer in model_scratch.layers:
    layer.trainable = True
model_scratch.compile(loss=keras.losses.BinaryCrossentropy(), optimizer=keras.optimizers.SGD(),
                      metrics=[keras.metrics.BinaryAccuracy()])
model_scratch.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)

# %% unfreeze_impl
model_unfrozen.get_layer("conv2").trainable = True
model_unfrozen.compile(loss=keras.losses.BinaryCrossentropy(), optimizer=keras.optimizers.SGD(learning_rate=1e-3),
                       metrics=[keras.metrics.BinaryAccuracy()])
history_unfrozen = model_unfrozen.fit(x_train, y_train, epochs=UNFROZEN_EPOCHS, batch_size=BATCH_SIZE, verbose=0)
