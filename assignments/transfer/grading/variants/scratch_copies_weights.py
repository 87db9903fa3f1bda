# variant: the "from scratch" model copies model_ft's weights (the pretrained features), so it is not trained from scratch
# targets: scratch_model_is_fresh_and_trainable, transfer_beats_scratch_on_hidden_digits
# %% scratch_impl
model_scratch = keras.models.clone_model(model_ft)
model_scratch.set_weights(model_ft.get_weights())  # the same network as model_ft
for layer in model_scratch.layers:
    layer.trainable = True
model_scratch.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
model_scratch.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)
