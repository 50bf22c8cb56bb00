package dev.panamacnn.activations;

/** Element-wise activations, as in Keras' {@code activation=} argument. */
public enum Activation {
    LINEAR("linear"), RELU("relu"), SIGMOID("sigmoid"), TANH("tanh"),
    /** Row-wise softmax over the last dimension; fused with categorical cross-entropy when it ends the model. */
    SOFTMAX("softmax");

    private final String kerasName;

    Activation(String kerasName) { this.kerasName = kerasName; }

    public String kerasName() { return kerasName; }

    public static Activation fromKerasName(String name) {
        for (Activation a : values()) if (a.kerasName.equals(name)) return a;
        throw new IllegalArgumentException("unknown activation '" + name + "' (expected linear, relu, sigmoid, tanh or softmax)");
    }
}
