package dev.panamacnn.gpu.kernels;

/**
 * Gradient w.r.t. a convolution's input: one work-item per input element {@code (s, y, x, ci)} gathers
 * {@code dOut[s, oy, ox, :] . W[ky, kx, ci, :]} over every output position whose window covers it (no atomics).
 */
public final class Conv2DBackwardInput extends NetKernel {
    public float[] dOut, params, dIn;
    public int n, h, w, c, kh, kw, sh, sw, oh, ow, f, kOff;

    @Override public void run() {
        int gid = getGlobalId();
        if (gid < n * h * w * c) {
            int ci = gid % c;
            int r = gid / c;
            int x = r % w;
            r = r / w;
            int y = r % h;
            int s = r / h;
            float acc = 0f;
            for (int ky = 0; ky < kh; ky++) {
                int dy = y - ky;
                if (dy >= 0 && dy % sh == 0 && dy / sh < oh) {
                    int oy = dy / sh;
                    for (int kx = 0; kx < kw; kx++) {
                        int dx = x - kx;
                        if (dx >= 0 && dx % sw == 0 && dx / sw < ow) {
                            int ob = ((s * oh + oy) * ow + dx / sw) * f;
                            int wb = kOff + ((ky * kw + kx) * c + ci) * f;
                            for (int co = 0; co < f; co++) {
                                acc += dOut[ob + co] * params[wb + co];
                            }
                        }
                    }
                }
            }
            dIn[gid] = acc;
        }
    }
}
