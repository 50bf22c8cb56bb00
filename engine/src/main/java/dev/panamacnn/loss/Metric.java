package dev.panamacnn.loss;

/**
 * Metrics, named as in Keras' {@code compile(metrics=[...])}. {@code accuracy} follows the loss as Keras' string does
 * (categorical, sparse or binary accuracy); {@code sparse_categorical_accuracy} and {@code categorical_accuracy} are
 * the same count under their explicit names; the top-k ones count a sample right when its target is among the
 * {@code k = 5} largest probabilities (Keras' default k).
 */
public enum Metric {
    ACCURACY("accuracy"), CATEGORICAL_ACCURACY("categorical_accuracy"), SPARSE_CATEGORICAL_ACCURACY("sparse_categorical_accuracy"),
    TOP_K_CATEGORICAL_ACCURACY("top_k_categorical_accuracy"), SPARSE_TOP_K_CATEGORICAL_ACCURACY("sparse_top_k_categorical_accuracy");

    /** Keras' default k of the top-k metrics. */
    public static final int TOP_K = 5;

    private final String kerasName;
    Metric(String kerasName) { this.kerasName = kerasName; }
    public String kerasName() { return kerasName; }

    /** Whether this is a top-k metric. */
    public boolean topK() { return this == TOP_K_CATEGORICAL_ACCURACY || this == SPARSE_TOP_K_CATEGORICAL_ACCURACY; }

    public static Metric byName(String name) {
        for (Metric m : values()) if (m.kerasName.equals(name)) return m;
        StringBuilder sb = new StringBuilder();
        for (Metric m : values()) sb.append(sb.isEmpty() ? "" : ", ").append(m.kerasName);
        throw new IllegalArgumentException("metric '" + name + "' is not supported (expected " + sb + ")");
    }
}
