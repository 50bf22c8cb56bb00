package dev.panamacnn.exec;

/**
 * What one step or evaluation batch gives back: the loss summed over its {@code n} samples, the number of correct
 * arg-max predictions, and whether the optimizer's update (if any) stayed finite.
 */
public record StepResult(double lossSum, int correct, int n, boolean finite, int topK) {
    /** Without a top-k count. */
    public StepResult(double lossSum, int correct, int n, boolean finite) { this(lossSum, correct, n, finite, -1); }

    public double loss() { return lossSum / n; }
    public double accuracy() { return (double) correct / n; }
}
