package dev.panamacnn.gpu.kernels;

/**
 * BatchNormalization's batch statistics in training, one work-item per channel over all {@code rows} (samples times
 * pixels) in row order: the mean, then the biased variance around it, kept as {@code stats[ch] = mean} and
 * {@code stats[c + ch] = 1 / sqrt(var + eps)}; the moving statistics in {@code params} are updated as Keras does,
 * {@code moving = moving * momentum + batch * (1 - momentum)}.
 */
public final class BatchNormStats extends NetKernel {
    public float[] in, params, stats;
    public int rows, c, meanOff, varOff;
    public float momentum, eps;

    @Override public void run() {
        int ch = getGlobalId();
        if (ch < c) {
            float sum = 0f;
            for (int r = 0; r < rows; r++) {
                sum += in[r * c + ch];
            }
            float mean = sum / rows;
            float sq = 0f;
            for (int r = 0; r < rows; r++) {
                float d = in[r * c + ch] - mean;
                sq += d * d;
            }
            float var = sq / rows;
            stats[ch] = mean;
            stats[c + ch] = 1f / sqrt(var + eps);
            params[meanOff + ch] = params[meanOff + ch] * momentum + mean * (1f - momentum);
            params[varOff + ch] = params[varOff + ch] * momentum + var * (1f - momentum);
        }
    }
}
