package dev.panamacnn.gpu.kernels;

/**
 * Max or average pooling with windows that start {@code top} rows and {@code left} columns before the input and are
 * clipped to it ("same" padding; 0 and 0 for "valid"). One work-item per output element. Max: the first maximum in
 * row-major window order, its flat index (in the batch) kept in {@code argmax}. Average: the mean of the window's
 * elements inside the input (padding not counted), summed in row-major order as the CPU engine does.
 */
public final class PoolForward extends NetKernel {
    public float[] in, out;
    public int[] argmax;
    public int n, h, w, c, ph, pw, sh, sw, oh, ow, top, left, max;

    @Override public void run() {
        int gid = getGlobalId();
        if (gid < n * oh * ow * c) {
            int ch = gid % c;
            int r = gid / c;
            int ox = r % ow;
            r = r / ow;
            int oy = r % oh;
            int s = r / oh;
            int y0 = oy * sh - top;
            int x0 = ox * sw - left;
            int ya = y0 < 0 ? 0 : y0;
            int xa = x0 < 0 ? 0 : x0;
            int yb = min(h, y0 + ph);
            int xb = min(w, x0 + pw);
            int first = ((s * h + ya) * w + xa) * c + ch;
            float best = -3.4028235e38f;
            float sum = 0f;
            int bi = first;
            for (int y = ya; y < yb; y++) {
                for (int x = xa; x < xb; x++) {
                    int idx = ((s * h + y) * w + x) * c + ch;
                    float v = in[idx];
                    sum += v;
                    if (v > best) {
                        best = v;
                        bi = idx;
                    }
                }
            }
            if (max != 0) {
                out[gid] = best;
                argmax[gid] = bi;
            } else {
                out[gid] = sum * (1f / ((yb - ya) * (xb - xa)));
            }
        }
    }
}
