package dev.panamacnn.gpu.kernels;

/**
 * Adam as Keras computes it, one work-item per parameter: {@code m = b1 m + c1 g}, {@code v = b2 v + c2 g^2},
 * {@code p -= lrT m / (sqrt(v) + eps)} with {@code lrT} computed on the host for step t; with {@code ams != 0}
 * (amsgrad) {@code vh = max(vh, v)} takes {@code v}'s place; AdamW's decoupled decay multiplies {@code p} by
 * {@code decay = 1 - lr * weight_decay} first (1 for Adam, which leaves {@code p} exact), only where
 * {@code trainable[i] != 0} when {@code masked} (a batch normalization's moving statistics never decay; their zero
 * gradient already makes the Adam step on them exactly 0). A NaN or infinite
 * gradient or new parameter sets {@code scalars[2] = 1} (x - x is non-zero only for those).
 */
public final class AdamUpdate extends NetKernel {
    public float[] p, g, m, v, vh, scalars, trainable;
    public int count, ams, masked;
    public float lrT, b1, b2, c1, c2, eps, decay;

    @Override public void run() {
        int i = getGlobalId();
        if (i < count) {
            float gv = g[i];
            float mv = m[i] * b1 + gv * c1;
            float vv = v[i] * b2 + gv * gv * c2;
            m[i] = mv;
            v[i] = vv;
            if (ams != 0) {
                vv = max(vh[i], vv);
                vh[i] = vv;
            }
            float pv = decay == 1f || (masked != 0 && trainable[i] == 0f) ? p[i] : p[i] * decay;
            float np = pv - mv * lrT / (sqrt(vv) + eps);
            p[i] = np;
            if ((gv - gv) + (np - np) != 0f) {
                scalars[2] = 1f;
            }
        }
    }
}
