package dev.panamacnn.gpu.kernels;

/** {@code dx = gamma invstd / R (R dy - dbeta - xhat dgamma)}, one work-item per element ({@code R} = rows). */
public final class BatchNormInputGradient extends NetKernel {
    public float[] in, dOut, dIn, params, stats;
    public int count, rows, c, gammaOff;

    @Override public void run() {
        int i = getGlobalId();
        if (i < count) {
            int ch = i % c;
            float inv = stats[c + ch];
            float xhat = (in[i] - stats[ch]) * inv;
            float g = gammaOff >= 0 ? params[gammaOff + ch] : 1f;
            float k = g * inv / rows;
            dIn[i] = k * (rows * dOut[i] - stats[2 * c + ch] - xhat * stats[3 * c + ch]);
        }
    }
}
