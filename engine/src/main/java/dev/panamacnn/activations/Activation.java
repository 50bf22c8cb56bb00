package dev.panamacnn.activations;

/**
 * Element-wise activations, as in Keras' {@code activation=} argument, with Keras' formulas and defaults
 * ({@code keras.activations}): {@code elu} with alpha 1, {@code leaky_relu} with negative slope 0.2, {@code gelu} exact
 * (the erf form, Keras' default {@code approximate=False}), {@code swish} (also named {@code silu}) {@code x * sigmoid(x)}.
 */
public enum Activation {
    LINEAR("linear"), RELU("relu"), SIGMOID("sigmoid"), TANH("tanh"),
    /** Row-wise softmax over the last dimension; fused with categorical cross-entropy when it ends the model. */
    SOFTMAX("softmax"),
    /** {@code x > 0 ? x : exp(x) - 1}. */
    ELU("elu"),
    /** {@code x > 0 ? x : 0.2 x} (Keras' {@code activations.leaky_relu} default slope). */
    LEAKY_RELU("leaky_relu"),
    /** {@code 0.5 x (1 + erf(x / sqrt 2))}. */
    GELU("gelu"),
    /** {@code x * sigmoid(x)}; Keras 3 also calls it {@code silu}. */
    SWISH("swish");

    /** The negative slope of {@link #LEAKY_RELU} as an activation string (the {@code LeakyReLU} layer has its own). */
    public static final float LEAKY_SLOPE = 0.2f;

    private final String kerasName;

    Activation(String kerasName) { this.kerasName = kerasName; }

    public String kerasName() { return kerasName; }

    /**
     * Whether the derivative needs the activation's input: for these (gelu, swish) the output does not determine it,
     * so a layer keeps its pre-activation for the backward pass. The others' derivative is written in terms of the output.
     */
    public boolean derivativeNeedsInput() { return this == GELU || this == SWISH; }

    public static Activation fromKerasName(String name) {
        if ("silu".equals(name)) return SWISH;
        for (Activation a : values()) if (a.kerasName.equals(name)) return a;
        throw new IllegalArgumentException("unknown activation '" + name + "' (expected linear, relu, sigmoid, tanh, softmax, elu, leaky_relu, gelu, swish or silu)");
    }
}
