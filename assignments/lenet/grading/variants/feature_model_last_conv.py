# variant: the feature model returns the maps of the last Conv2D layer (10x10x16) instead of the first one's
# targets: feature_model_first_conv_maps
# %% feature_model_impl
def build_feature_model(net):
    convs = [layer for layer in net.layers if isinstance(layer, keras.layers.Conv2D)]
    return keras.Model(inputs=net.inputs, outputs=[net.outputs[0], convs[-1].output])
