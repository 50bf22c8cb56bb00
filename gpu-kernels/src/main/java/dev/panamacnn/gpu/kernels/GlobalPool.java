package dev.panamacnn.gpu.kernels;

/**
 * Global average or max pooling, one work-item per (sample, channel): the mean (summed in pixel order) or the first
 * maximum of the channel over the {@code pixels} pixels, its flat index kept in {@code argmax}.
 */
public final class GlobalPool extends NetKernel {
    public float[] in, out;
    public int[] argmax;
    public int n, pixels, c, max;

    @Override public void run() {
        int gid = getGlobalId();
        if (gid < n * c) {
            int ch = gid % c;
            int s = gid / c;
            int base = s * pixels * c + ch;
            float best = in[base];
            float sum = 0f;
            int bi = base;
            for (int p = 0; p < pixels; p++) {
                float v = in[base + p * c];
                sum += v;
                if (v > best) {
                    best = v;
                    bi = base + p * c;
                }
            }
            if (max != 0) {
                out[gid] = best;
                argmax[gid] = bi;
            } else {
                out[gid] = sum * (1f / pixels);
            }
        }
    }
}
