package dev.panamacnn.gpu.kernels;

/**
 * Adam as Keras computes it, one work-item per parameter: {@code m = b1 m + c1 g}, {@code v = b2 v + c2 g^2},
 * {@code p -= lrT m / (sqrt(v) + eps)} with {@code lrT} computed on the host for step t. A NaN or infinite
 * gradient or new parameter sets {@code scalars[2] = 1} (x - x is non-zero only for those).
 */
public final class AdamUpdate extends NetKernel {
    public float[] p, g, m, v, scalars;
    public int count;
    public float lrT, b1, b2, c1, c2, eps;

    @Override public void run() {
        int i = getGlobalId();
        if (i < count) {
            float gv = g[i];
            float mv = m[i] * b1 + gv * c1;
            float vv = v[i] * b2 + gv * gv * c2;
            m[i] = mv;
            v[i] = vv;
            float np = p[i] - mv * lrT / (sqrt(vv) + eps);
            p[i] = np;
            if ((gv - gv) + (np - np) != 0f) {
                scalars[2] = 1f;
            }
        }
    }
}
