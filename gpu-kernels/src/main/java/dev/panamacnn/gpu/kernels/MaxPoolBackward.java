package dev.panamacnn.gpu.kernels;

/**
 * Max-pool gradient as a gather: one work-item per input element sums {@code dOut} over the windows that cover it and
 * chose it as their maximum. Works for overlapping windows too, with no atomics.
 */
public final class MaxPoolBackward extends NetKernel {
    public float[] dOut, dIn;
    public int[] argmax;
    public int n, h, w, c, ph, pw, sh, sw, oh, ow;

    @Override public void run() {
        int gid = getGlobalId();
        if (gid < n * h * w * c) {
            int ch = gid % c;
            int r = gid / c;
            int x = r % w;
            r = r / w;
            int y = r % h;
            int s = r / h;
            int oy0 = y >= ph ? (y - ph + sh) / sh : 0;
            int ox0 = x >= pw ? (x - pw + sw) / sw : 0;
            int oy1 = min(oh - 1, y / sh);
            int ox1 = min(ow - 1, x / sw);
            float acc = 0f;
            for (int oy = oy0; oy <= oy1; oy++) {
                for (int ox = ox0; ox <= ox1; ox++) {
                    int o = ((s * oh + oy) * ow + ox) * c + ch;
                    if (argmax[o] == gid) {
                        acc += dOut[o];
                    }
                }
            }
            dIn[gid] = acc;
        }
    }
}
