package dev.panamacnn.gpu.kernels;

/**
 * {@code y = gamma (x - mean) * invstd + beta}, one work-item per element; the batch's statistics ({@code stats}) in
 * training, the moving ones in inference. {@code gammaOff} or {@code betaOff} below 0: no scale or no centre.
 */
public final class BatchNormForward extends NetKernel {
    public float[] in, out, params, stats;
    public int count, c, gammaOff, betaOff, meanOff, varOff, train;
    public float eps;

    @Override public void run() {
        int i = getGlobalId();
        if (i < count) {
            int ch = i % c;
            float mean = 0f;
            float inv = 0f;
            if (train != 0) {
                mean = stats[ch];
                inv = stats[c + ch];
            } else {
                mean = params[meanOff + ch];
                inv = 1f / sqrt(params[varOff + ch] + eps);
            }
            float g = gammaOff >= 0 ? params[gammaOff + ch] : 1f;
            float b = betaOff >= 0 ? params[betaOff + ch] : 0f;
            out[i] = (in[i] - mean) * inv * g + b;
        }
    }
}
