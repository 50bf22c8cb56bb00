package dev.panamacnn.gpu.kernels;

/**
 * The gradient of {@link PoolForward} as a gather, one work-item per input element, over the windows that cover it:
 * max adds the gradients of the windows that chose it, average adds each window's gradient divided by its element
 * count. Windows are enumerated by output row and column in order; no atomics.
 */
public final class PoolBackward extends NetKernel {
    public float[] dOut, dIn;
    public int[] argmax;
    public int n, h, w, c, ph, pw, sh, sw, oh, ow, top, left, max;

    @Override public void run() {
        int gid = getGlobalId();
        if (gid < n * h * w * c) {
            int ch = gid % c;
            int r = gid / c;
            int x = r % w;
            r = r / w;
            int y = r % h;
            int s = r / h;
            int py = y + top;
            int px = x + left;
            int oy0 = py >= ph ? (py - ph + sh) / sh : 0;
            int ox0 = px >= pw ? (px - pw + sw) / sw : 0;
            int oy1 = min(oh - 1, py / sh);
            int ox1 = min(ow - 1, px / sw);
            float acc = 0f;
            for (int oy = oy0; oy <= oy1; oy++) {
                for (int ox = ox0; ox <= ox1; ox++) {
                    int o = ((s * oh + oy) * ow + ox) * c + ch;
                    if (max != 0) {
                        if (argmax[o] == gid) {
                            acc += dOut[o];
                        }
                    } else {
                        int ya = oy * sh - top;
                        int xa = ox * sw - left;
                        int yb = min(h, ya + ph);
                        int xb = min(w, xa + pw);
                        ya = ya < 0 ? 0 : ya;
                        xa = xa < 0 ? 0 : xa;
                        acc += dOut[o] * (1f / ((yb - ya) * (xb - xa)));
                    }
                }
            }
            dIn[gid] = acc;
        }
    }
}
