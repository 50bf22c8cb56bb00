package dev.panamacnn.gpu.kernels;

/**
 * BatchNormalization's parameter gradients, one work-item per channel over the rows in order: {@code dbeta = sum dy},
 * {@code dgamma = sum dy xhat}, written to {@code grads} (the moving statistics' gradients are 0) and kept in
 * {@code stats[2c ..]} for {@link BatchNormInputGradient}.
 */
public final class BatchNormBackward extends NetKernel {
    public float[] in, dOut, stats, grads;
    public int rows, c, gammaOff, betaOff, meanOff, varOff;

    @Override public void run() {
        int ch = getGlobalId();
        if (ch < c) {
            float mean = stats[ch];
            float inv = stats[c + ch];
            float db = 0f;
            float dg = 0f;
            for (int r = 0; r < rows; r++) {
                float dy = dOut[r * c + ch];
                db += dy;
                dg += dy * (in[r * c + ch] - mean) * inv;
            }
            stats[2 * c + ch] = db;
            stats[3 * c + ch] = dg;
            if (gammaOff >= 0) {
                grads[gammaOff + ch] = dg;
            }
            if (betaOff >= 0) {
                grads[betaOff + ch] = db;
            }
            grads[meanOff + ch] = 0f;
            grads[varOff + ch] = 0f;
        }
    }
}
