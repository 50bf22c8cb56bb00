package dev.panamacnn.gpu.kernels;

/** SGD with momentum as Keras computes it: {@code v = momentum v - lr g}, {@code p += v}; flags non-finite values. */
public final class SgdUpdate extends NetKernel {
    public float[] p, g, vel, scalars;
    public int count;
    public float lr, momentum;

    @Override public void run() {
        int i = getGlobalId();
        if (i < count) {
            float gv = g[i];
            float vv = momentum * vel[i] - lr * gv;
            vel[i] = vv;
            float np = p[i] + vv;
            p[i] = np;
            if ((gv - gv) + (np - np) != 0f) {
                scalars[2] = 1f;
            }
        }
    }
}
