package dev.panamacnn.gpu.kernels;

/**
 * SGD with momentum as Keras computes it: {@code v = momentum v - lr g}, {@code p += v}, or with {@code nesterov != 0}
 * {@code p += momentum v - lr g}; flags non-finite values.
 */
public final class SgdUpdate extends NetKernel {
    public float[] p, g, vel, scalars;
    public int count, nesterov;
    public float lr, momentum;

    @Override public void run() {
        int i = getGlobalId();
        if (i < count) {
            float gv = g[i];
            float vv = momentum * vel[i] - lr * gv;
            vel[i] = vv;
            float np = nesterov != 0 ? p[i] + (momentum * vv - lr * gv) : p[i] + vv;
            p[i] = np;
            if ((gv - gv) + (np - np) != 0f) {
                scalars[2] = 1f;
            }
        }
    }
}
