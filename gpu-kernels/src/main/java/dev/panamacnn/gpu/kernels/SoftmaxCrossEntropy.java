package dev.panamacnn.gpu.kernels;

/**
 * Softmax of each row of logits {@code z} in place (so {@code z} then holds the probabilities), the row's
 * categorical cross-entropy against {@code y} (probabilities clipped to {@code [1e-7, 1 - 1e-7]}, as Keras does),
 * whether its arg-max matches the label's, and, when {@code train != 0}, the gradient w.r.t. the logits
 * {@code dz = (p - y') / n}. With {@code sparse != 0}, {@code y} holds one integer label per row (sparse categorical
 * cross-entropy); {@code smoothing} is Keras' label smoothing, {@code y' = y (1 - s) + s / K}. One work-item per row.
 */
public final class SoftmaxCrossEntropy extends NetKernel {
    public float[] z, y, dz, rowLoss, rowCorrect;
    public int n, classes, train, hasLabels, sparse;
    public float smoothing;

    @Override public void run() {
        int s = getGlobalId();
        if (s < n) {
            int o = s * classes;
            float mx = z[o];
            for (int j = 1; j < classes; j++) {
                mx = max(mx, z[o + j]);
            }
            float sum = 0f;
            for (int j = 0; j < classes; j++) {
                float e = exp(z[o + j] - mx);
                z[o + j] = e;
                sum += e;
            }
            float inv = 1f / sum;
            int bestP = 0;
            float bp = -1f;
            for (int j = 0; j < classes; j++) {
                float p = z[o + j] * inv;
                z[o + j] = p;
                if (p > bp) {
                    bp = p;
                    bestP = j;
                }
            }
            if (hasLabels != 0) {
                float loss = 0f;
                int bestY = 0;
                int label = sparse != 0 ? (int) y[s] : -1;
                float by = -1f;
                float keep = 1f - smoothing;
                float add = smoothing / classes;
                for (int j = 0; j < classes; j++) {
                    float t = sparse != 0 ? (j == label ? 1f : 0f) : y[o + j];
                    float ts = smoothing == 0f ? t : t * keep + add;
                    if (ts != 0f) {
                        float q = min(max(z[o + j], 1e-7f), 1f - 1e-7f);
                        loss -= ts * log(q);
                    }
                    if (t > by) {
                        by = t;
                        bestY = j;
                    }
                }
                rowLoss[s] = loss;
                rowCorrect[s] = bestP == bestY ? 1f : 0f;
                if (train != 0) {
                    float scale = 1f / n;
                    for (int j = 0; j < classes; j++) {
                        float t = sparse != 0 ? (j == label ? 1f : 0f) : y[o + j];
                        float ts = smoothing == 0f ? t : t * keep + add;
                        dz[o + j] = (z[o + j] - ts) * scale;
                    }
                }
            }
        }
    }
}
