package dev.panamacnn.train;

/**
 * What {@code evaluate} returns: mean loss and accuracy over the data set, and the top-k accuracy when a top-k metric
 * was compiled in (else NaN).
 */
public record EvalResult(double loss, double accuracy, int samples, double topKAccuracy) {
    public EvalResult(double loss, double accuracy, int samples) { this(loss, accuracy, samples, Double.NaN); }

    @Override public String toString() {
        return String.format(java.util.Locale.ROOT, "loss: %.4f - accuracy: %.4f (%d samples)", loss, accuracy, samples);
    }
}
