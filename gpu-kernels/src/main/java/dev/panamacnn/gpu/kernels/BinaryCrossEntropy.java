package dev.panamacnn.gpu.kernels;

/**
 * Binary cross-entropy of one sigmoid output per row ({@code p}, already the sigmoid's), Keras' clip to
 * {@code [1e-7, 1 - 1e-7]} and label smoothing {@code y' = y (1 - s) + s / 2}; correct when {@code p > 0.5} is
 * {@code y > 0.5}; in training {@code dz = (p - y') / n} w.r.t. the sigmoid's input. One work-item per row.
 */
public final class BinaryCrossEntropy extends NetKernel {
    public float[] p, y, dz, rowLoss, rowCorrect;
    public int n, train;
    public float smoothing;

    @Override public void run() {
        int s = getGlobalId();
        if (s < n) {
            float t = y[s] * (1f - smoothing) + smoothing * 0.5f;
            float q = min(max(p[s], 1e-7f), 1f - 1e-7f);
            rowLoss[s] = -(t * log(q) + (1f - t) * log(1f - q));
            int predicted = p[s] > 0.5f ? 1 : 0;
            int actual = y[s] > 0.5f ? 1 : 0;
            rowCorrect[s] = predicted == actual ? 1f : 0f;
            if (train != 0) {
                dz[s] = (p[s] - t) * (1f / n);
            }
        }
    }
}
