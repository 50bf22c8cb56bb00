package dev.panamacnn.gpu.kernels;

/**
 * Convolution forward as an implicit GEMM: {@code out[r, co] = act(sum_k X(r, k) W[k, co] + b[co])} with
 * {@code r = (s, oy, ox)} the output position, {@code k = (ky, kx, ci)} the kernel tap and {@code X(r, k)} the
 * im2col matrix read straight from the NHWC input (never materialized). Tiled like {@link Gemm}: a 16x16
 * work-group computes 64 rows x 64 filters, staging X(r, k) and W slices in local memory, 4x4 outputs per
 * work-item. Launch with {@code Gemm.global(n * oh * ow, f)}, local (16, 16).
 */
public final class ConvGemmForward extends NetKernel {
    public float[] in, params, out;
    public int n, h, w, c, kw, sh, sw, oh, ow, f, kk, kOff, bOff, act, hasBias;
    @Local public float[] tileA = new float[64 * 16];
    @Local public float[] tileB = new float[16 * 64];
    @PrivateMemorySpace(16) public float[] acc = new float[16];
    @PrivateMemorySpace(4) public int[] base = new int[4];

    @Override public void run() {
        int lx = getLocalId(0);
        int ly = getLocalId(1);
        int row0 = getGroupId(1) * 64;
        int col0 = getGroupId(0) * 64;
        int rows = n * oh * ow;
        for (int e = 0; e < 16; e++) {
            acc[e] = 0f;
        }
        // the input offsets of the 4 im2col rows this work-item stages (rows ly + 16 r of the tile)
        for (int r = 0; r < 4; r++) {
            int i = row0 + ly + 16 * r;
            int ri = i < rows ? i : 0;
            int s = ri / (oh * ow);
            int rem = ri - s * oh * ow;
            int oy = rem / ow;
            int ox = rem - oy * ow;
            base[r] = ((s * h + oy * sh) * w + ox * sw) * c;
        }
        for (int t = 0; t < kk; t += 16) {
            int ka = t + lx;
            int tap = 0;
            if (ka < kk) {
                int ky = ka / (kw * c);
                int r2 = ka - ky * kw * c;
                int kx = r2 / c;
                tap = (ky * w + kx) * c + r2 - kx * c;
            }
            int kb = t + ly;
            for (int r = 0; r < 4; r++) {
                int i = row0 + ly + 16 * r;
                float va = 0f;
                if (i < rows && ka < kk) {
                    va = in[base[r] + tap];
                }
                tileA[(ly + 16 * r) * 16 + lx] = va;
                int j = col0 + lx + 16 * r;
                float vb = 0f;
                if (kb < kk && j < f) {
                    vb = params[kOff + kb * f + j];
                }
                tileB[ly * 64 + lx + 16 * r] = vb;
            }
            localBarrier();
            for (int q = 0; q < 16; q++) {
                float b0 = tileB[q * 64 + lx];
                float b1 = tileB[q * 64 + lx + 16];
                float b2 = tileB[q * 64 + lx + 32];
                float b3 = tileB[q * 64 + lx + 48];
                for (int r = 0; r < 4; r++) {
                    float av = tileA[(ly + 16 * r) * 16 + q];
                    acc[r * 4] += av * b0;
                    acc[r * 4 + 1] += av * b1;
                    acc[r * 4 + 2] += av * b2;
                    acc[r * 4 + 3] += av * b3;
                }
            }
            localBarrier();
        }
        for (int r = 0; r < 4; r++) {
            int i = row0 + ly + 16 * r;
            for (int cc = 0; cc < 4; cc++) {
                int j = col0 + lx + 16 * cc;
                if (i < rows && j < f) {
                    out[i * f + j] = activate(acc[r * 4 + cc] + (hasBias != 0 ? params[bOff + j] : 0f), act);
                }
            }
        }
    }
}
