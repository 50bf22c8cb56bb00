package dev.panamacnn.train;

/** What {@code evaluate} returns: mean loss and accuracy over the data set. */
public record EvalResult(double loss, double accuracy, int samples) {
    @Override public String toString() {
        return String.format("loss: %.4f - accuracy: %.4f (%d samples)", loss, accuracy, samples);
    }
}
