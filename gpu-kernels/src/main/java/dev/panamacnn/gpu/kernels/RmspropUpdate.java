package dev.panamacnn.gpu.kernels;

/**
 * RMSprop as Keras 3 computes it, one work-item per parameter: {@code ms = rho ms + c g^2}; centered ({@code mg} used):
 * {@code mg = rho mg + c g}, denominator {@code sqrt(ms - mg^2 + eps)}, else {@code sqrt(ms + eps)};
 * {@code inc = lr g / denominator}; with momentum ({@code useMom}) {@code mom = momentum mom + inc}; {@code p -= inc}.
 */
public final class RmspropUpdate extends NetKernel {
    public float[] p, g, ms, mg, mom, scalars;
    public int count, centered, useMom;
    public float lr, rho, c, eps, momentum;

    @Override public void run() {
        int i = getGlobalId();
        if (i < count) {
            float gv = g[i];
            float s = rho * ms[i] + c * gv * gv;
            ms[i] = s;
            float den = s;
            if (centered != 0) {
                float a = rho * mg[i] + c * gv;
                mg[i] = a;
                den = s - a * a;
            }
            float inc = lr * gv / sqrt(den + eps);
            if (useMom != 0) {
                inc = momentum * mom[i] + inc;
                mom[i] = inc;
            }
            float np = p[i] - inc;
            p[i] = np;
            if ((gv - gv) + (np - np) != 0f) {
                scalars[2] = 1f;
            }
        }
    }
}
