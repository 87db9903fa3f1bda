# variant: the Keras guide's frozen base inside a keras.Sequential, [Input, base, Dense(1, sigmoid)]; conv2 unfrozen inside the base, SGD at 0.0005
# expect: full
# %% transfer_model_impl
def build_transfer_model(pretrained):
    base = keras.Model(pretrained.inputs, pretrained.layers[-2].output, name="base")
    base.trainable = False
    model = keras.Sequential([keras.Input(shape=(32, 32, 1)), base, keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model

# %% scratch_impl
model_scratch = keras.models.clone_model(model_ft)
for layer in model_scratch.layers:
    layer.trainable = True
model_scratch.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
model_scratch.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)

# %% unfreeze_impl
base = model_unfrozen.get_layer("base")
base.trainable = True
base.get_layer("conv1").trainable = False
model_unfrozen.compile(loss="binary_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.0005),
                       metrics=["accuracy"])
history_unfrozen = model_unfrozen.fit(x_train, y_train, epochs=UNFROZEN_EPOCHS, batch_size=BATCH_SIZE, verbose=0)
