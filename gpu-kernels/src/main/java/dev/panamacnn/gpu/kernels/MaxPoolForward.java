package dev.panamacnn.gpu.kernels;

/**
 * Max pooling, NHWC, "valid" padding. One work-item per output element; {@code argmax} keeps the flat index (in the
 * batch) of the first maximum, scanning the window row by row, as the CPU engine does.
 */
public final class MaxPoolForward extends NetKernel {
    public float[] in, out;
    public int[] argmax;
    public int n, h, w, c, ph, pw, sh, sw, oh, ow;

    @Override public void run() {
        int gid = getGlobalId();
        if (gid < n * oh * ow * c) {
            int ch = gid % c;
            int r = gid / c;
            int ox = r % ow;
            r = r / ow;
            int oy = r % oh;
            int s = r / oh;
            int first = ((s * h + oy * sh) * w + ox * sw) * c + ch;
            float best = in[first];
            int bi = first;
            for (int i = 0; i < ph; i++) {
                for (int j = 0; j < pw; j++) {
                    int idx = ((s * h + oy * sh + i) * w + ox * sw + j) * c + ch;
                    float v = in[idx];
                    if (v > best) {
                        best = v;
                        bi = idx;
                    }
                }
            }
            out[gid] = best;
            argmax[gid] = bi;
        }
    }
}
