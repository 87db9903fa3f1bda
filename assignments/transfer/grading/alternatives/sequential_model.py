# variant: a keras.Sequential of the kept pretrained layers plus the head, frozen before it is built; the loss given as the function keras.losses.binary_crossentropy
# expect: full
# %% transfer_model_impl
def build_transfer_model(pretrained):
    kept = pretrained.layers[:-1]
    for layer in kept:
        layer.trainable = False
    model = keras.Sequential(kept + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss=keras.losses.binary_crossentropy, optimizer="sgd", metrics=["accuracy"])
    return model

# %% scratch_impl
model_scratch = keras.models.clone_model(model_ft)
for layer in model_scratch.layers:
    layer.trainable = True
model_scratch.compile(loss=keras.losses.binary_crossentropy, optimizer="sgd", metrics=["accuracy"])
model_scratch.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)
