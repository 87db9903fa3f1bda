# variant: unfreezes conv2 after the head was trained but does not compile again: Keras 3 keeps training the head alone, at the old learning rate
# targets: unfrozen_conv2_retrained_at_a_low_learning_rate
# %% unfreeze_impl
model_unfrozen.get_layer("conv2").trainable = True
model_unfrozen.optimizer.learning_rate = 0.001
history_unfrozen = model_unfrozen.fit(x_train, y_train, epochs=UNFROZEN_EPOCHS, batch_size=BATCH_SIZE, verbose=0)
