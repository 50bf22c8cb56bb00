package dev.panamacnn.loss;

/** Metrics, named as in Keras' {@code compile(metrics=[...])}. */
public enum Metric {
    /** Share of samples whose arg-max prediction equals the arg-max of the target. */
    ACCURACY("accuracy");

    private final String kerasName;
    Metric(String kerasName) { this.kerasName = kerasName; }
    public String kerasName() { return kerasName; }
}
