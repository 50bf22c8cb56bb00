package dev.panamacnn.gpu.kernels;

/** The inverse of {@link PadImage} for gradients: one work-item per input element reads its place in the padded batch. */
public final class CropImage extends NetKernel {
    public float[] in, out;
    public int n, h, w, c, ph, pw, top, left;

    @Override public void run() {
        int gid = getGlobalId();
        if (gid < n * h * w * c) {
            int ch = gid % c;
            int r = gid / c;
            int x = r % w;
            r = r / w;
            int y = r % h;
            int s = r / h;
            out[gid] = in[((s * ph + y + top) * pw + x + left) * c + ch];
        }
    }
}
