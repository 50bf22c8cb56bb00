package dev.panamacnn.loss;

/** Loss functions, named as in Keras' {@code compile(loss=...)}. */
public enum Loss {
    /**
     * {@code categorical_crossentropy} on one-hot (or probability) targets; the model must end in a softmax,
     * which is fused with the loss: the backward pass starts from {@code (p - y) / n}.
     */
    CATEGORICAL_CROSSENTROPY("categorical_crossentropy");

    private final String kerasName;
    Loss(String kerasName) { this.kerasName = kerasName; }
    public String kerasName() { return kerasName; }
}
