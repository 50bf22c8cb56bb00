package dev.panamacnn.gpu.kernels;

/**
 * Zero-bordered copy for "same" padding: one work-item per element of the padded batch {@code (n, ph, pw, c)}, which
 * is the input's element {@code (y - top, x - left)} inside and 0 in the border.
 */
public final class PadImage extends NetKernel {
    public float[] in, out;
    public int n, h, w, c, ph, pw, top, left;

    @Override public void run() {
        int gid = getGlobalId();
        if (gid < n * ph * pw * c) {
            int ch = gid % c;
            int r = gid / c;
            int x = r % pw;
            r = r / pw;
            int y = r % ph;
            int s = r / ph;
            int iy = y - top;
            int ix = x - left;
            float v = 0f;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                v = in[((s * h + iy) * w + ix) * c + ch];
            }
            out[gid] = v;
        }
    }
}
