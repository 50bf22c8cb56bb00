package dev.panamacnn.gpu.kernels;

/**
 * One work-item: {@code scalars[0] = sum of rowLoss}, {@code scalars[1] = sum of rowCorrect} over {@code n} rows, in
 * order (deterministic), and clears the optimizer's non-finite flag {@code scalars[2]}. These three floats are all
 * that a training step sends back to the host.
 */
public final class ReduceScalars extends NetKernel {
    public float[] rowLoss, rowCorrect, scalars;
    public int n;

    @Override public void run() {
        if (getGlobalId() == 0) {
            float loss = 0f;
            float correct = 0f;
            for (int i = 0; i < n; i++) {
                loss += rowLoss[i];
                correct += rowCorrect[i];
            }
            scalars[0] = loss;
            scalars[1] = correct;
            scalars[2] = 0f;
        }
    }
}
