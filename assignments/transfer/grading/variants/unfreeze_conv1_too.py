# variant: unfreezes both convolutional layers, so conv1's pretrained filters are trained on the 20 images as well
# targets: unfrozen_conv2_retrained_at_a_low_learning_rate
# %% unfreeze_impl
model_unfrozen.get_layer("conv1").trainable = True
model_unfrozen.get_layer("conv2").trainable = True
model_unfrozen.compile(loss="binary_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=0.001),
                       metrics=["accuracy"])
history_unfrozen = model_unfrozen.fit(x_train, y_train, epochs=UNFROZEN_EPOCHS, batch_size=BATCH_SIZE, verbose=0)
