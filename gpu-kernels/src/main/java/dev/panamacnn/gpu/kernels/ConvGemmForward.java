package dev.panamacnn.gpu.kernels;

/**
 * Convolution forward as an implicit GEMM: {@code out[r, co] = act(sum_k X(r, k) W[k, co] + b[co])} with
 * {@code r = (s, oy, ox)} the output position, {@code k = (ky, kx, ci)} the kernel tap and {@code X(r, k)} the
 * im2col matrix read straight from the NHWC input (never materialized). Tiled like {@link Gemm}: a 16x16
 * work-group stages 16x16 tiles of X(r, k) and W in local memory. Launch with global (f, rows) rounded up to 16 and
 * local (16, 16); rows = n * oh * ow.
 */
public final class ConvGemmForward extends NetKernel {
    public float[] in, params, out;
    public int n, h, w, c, kw, sh, sw, oh, ow, f, kk, kOff, bOff, act;
    @Local public float[] tileA = new float[256];
    @Local public float[] tileB = new float[256];

    @Override public void run() {
        int lx = getLocalId(0);
        int ly = getLocalId(1);
        int j = getGlobalId(0);
        int i = getGlobalId(1);
        int rows = n * oh * ow;
        // this work-item's row of the im2col matrix, decoded once
        int ri = i < rows ? i : 0;
        int s = ri / (oh * ow);
        int rem = ri - s * oh * ow;
        int oy = rem / ow;
        int ox = rem - oy * ow;
        // the load of tileA[ly][lx] takes row i (same as this work-item's) and column t + lx
        int base = ((s * h + oy * sh) * w + ox * sw) * c;
        float acc = 0f;
        for (int t = 0; t < kk; t += 16) {
            int ka = t + lx;
            float va = 0f;
            if (i < rows && ka < kk) {
                int ky = ka / (kw * c);
                int r2 = ka - ky * kw * c;
                int kx = r2 / c;
                int ci = r2 - kx * c;
                va = in[base + (ky * w + kx) * c + ci];
            }
            tileA[ly * 16 + lx] = va;
            int kb = t + ly;
            float vb = 0f;
            if (kb < kk && j < f) {
                vb = params[kOff + kb * f + j];
            }
            tileB[ly * 16 + lx] = vb;
            localBarrier();
            for (int q = 0; q < 16; q++) {
                acc += tileA[ly * 16 + q] * tileB[q * 16 + lx];
            }
            localBarrier();
        }
        if (i < rows && j < f) {
            out[i * f + j] = activate(acc + params[bOff + j], act);
        }
    }
}
