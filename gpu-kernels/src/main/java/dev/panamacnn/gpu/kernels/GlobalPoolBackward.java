package dev.panamacnn.gpu.kernels;

/** The gradient of {@link GlobalPool}, one work-item per input element: {@code dOut / pixels}, or (max) dOut where it won. */
public final class GlobalPoolBackward extends NetKernel {
    public float[] dOut, dIn;
    public int[] argmax;
    public int n, pixels, c, max;

    @Override public void run() {
        int gid = getGlobalId();
        if (gid < n * pixels * c) {
            int ch = gid % c;
            int s = gid / (pixels * c);
            int o = s * c + ch;
            float v = 0f;
            if (max != 0) {
                if (argmax[o] == gid) {
                    v = dOut[o];
                }
            } else {
                v = dOut[o] * (1f / pixels);
            }
            dIn[gid] = v;
        }
    }
}
