package dev.panamacnn.gpu.kernels;

/**
 * The input gradient of a convolution from its column gradient {@code dcols = dOut W^T} ({@code rows x kk}, one
 * row per output position, one column per kernel tap {@code (ky, kx, ci)}): one work-item per input element
 * {@code (s, y, x, ci)} adds the columns of every output position whose window covers it, in a fixed order (a
 * gather, so no atomics).
 */
public final class Col2Im extends NetKernel {
    public float[] dcols, dIn;
    public int n, h, w, c, kh, kw, sh, sw, oh, ow, kk;

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
                    int rowBase = (s * oh + dy / sh) * ow;
                    for (int kx = 0; kx < kw; kx++) {
                        int dx = x - kx;
                        if (dx >= 0 && dx % sw == 0 && dx / sw < ow) {
                            acc += dcols[(rowBase + dx / sw) * kk + (ky * kw + kx) * c + ci];
                        }
                    }
                }
            }
            dIn[gid] = acc;
        }
    }
}
