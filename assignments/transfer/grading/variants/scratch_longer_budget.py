# variant: trains the from-scratch model three times as long as model_ft, so the comparison is not with the same budget
# targets: scratch_model_trained_with_the_same_budget
# %% scratch_impl
model_scratch = keras.models.clone_model(model_ft)
for layer in model_scratch.layers:
    layer.trainable = True
model_scratch.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
model_scratch.fit(x_train, y_train, epochs=3 * EPOCHS, batch_size=BATCH_SIZE, verbose=0)
