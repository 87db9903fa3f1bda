# variant: unfreezes conv2 and compiles again, but with optimizer="sgd", the default learning rate 0.01 of the first stage
# targets: unfrozen_conv2_retrained_at_a_low_learning_rate
# %% unfreeze_impl
model_unfrozen.get_layer("conv2").trainable = True
model_unfrozen.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
history_unfrozen = model_unfrozen.fit(x_train, y_train, epochs=UNFROZEN_EPOCHS, batch_size=BATCH_SIZE, verbose=0)
