package dev.panamacnn.gpu.kernels;

/** {@code d[i] *= act'(y[i])} in place: turns the gradient w.r.t. a layer's output into one w.r.t. its pre-activation. */
public final class ActivationBackward extends NetKernel {
    public float[] y, d;
    public int count, act;

    @Override public void run() {
        int i = getGlobalId();
        if (i < count) {
            d[i] = d[i] * derivative(y[i], act);
        }
    }
}
