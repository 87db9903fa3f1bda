# variant: build_feature_model takes model.layers[0] as the first Conv2D layer: right for a Sequential LeNet, but a functional one starts with its InputLayer
# targets: feature_model_first_conv_maps
# %% feature_model_impl
def build_feature_model(lenet):
    return keras.Model(inputs=lenet.inputs, outputs=[lenet.outputs[0], lenet.layers[0].output])
