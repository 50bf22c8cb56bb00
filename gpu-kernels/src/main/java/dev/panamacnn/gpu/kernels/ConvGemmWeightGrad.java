package dev.panamacnn.gpu.kernels;

/**
 * Convolution kernel and bias gradients as one implicit GEMM with the reduction split in fixed slices:
 * {@code partial[g, k, co] = sum over r in slice g of X(r, k) dOut[r, co]}, where {@code X(r, k)} is the im2col
 * matrix read straight from the NHWC input, extended with a column of ones at {@code k = kk} (so row kk of the
 * result is the bias gradient, which the parameter layout stores right after the kernel), and slice g covers rows
 * {@code [g*slice, (g+1)*slice)}. A
 * {@link SumSlices} launch then adds the slices in order, so the result does not depend on scheduling. Splitting
 * gives a small kernel (conv1: 25 x 32 outputs) enough work-groups. Tiled like {@link Gemm} (64 taps x 64 filters
 * per work-group, 4x4 per work-item). Launch with global {@code Gemm.global(kk + 1, f)} plus a third dimension of
 * {@code slices}, local (16, 16, 1).
 */
public final class ConvGemmWeightGrad extends NetKernel {
    public float[] in, dOut, partial;
    public int n, h, w, c, kw, sh, sw, oh, ow, f, kk, slice;
    @Local public float[] tileA = new float[64 * 16];
    @Local public float[] tileB = new float[16 * 64];
    @PrivateMemorySpace(16) public float[] acc = new float[16];
    @PrivateMemorySpace(4) public int[] tap = new int[4];

    @Override public void run() {
        int lx = getLocalId(0);
        int ly = getLocalId(1);
        int row0 = getGroupId(1) * 64;
        int col0 = getGroupId(0) * 64;
        int g = getGlobalId(2);
        int rows = n * oh * ow;
        int taps = kk + 1;
        int r0 = g * slice;
        int r1 = min(rows, r0 + slice);
        for (int e = 0; e < 16; e++) {
            acc[e] = 0f;
        }
        // the taps (rows of C) whose A values this work-item stages: ly + 16 r
        for (int r = 0; r < 4; r++) {
            int i = row0 + ly + 16 * r;
            int ki = i < kk ? i : 0;
            int ky = ki / (kw * c);
            int rk = ki - ky * kw * c;
            int kx = rk / c;
            tap[r] = (ky * w + kx) * c + rk - kx * c;
        }
        for (int t = r0; t < r1; t += 16) {
            int ra = t + lx;
            int pos = 0;
            if (ra < r1) {
                int s = ra / (oh * ow);
                int rem = ra - s * oh * ow;
                int oy = rem / ow;
                int ox = rem - oy * ow;
                pos = ((s * h + oy * sh) * w + ox * sw) * c;
            }
            int rb = t + ly;
            for (int r = 0; r < 4; r++) {
                int i = row0 + ly + 16 * r;
                float va = 0f;
                if (i < kk && ra < r1) {
                    va = in[pos + tap[r]];
                } else if (i == kk && ra < r1) {
                    va = 1f;
                }
                tileA[(ly + 16 * r) * 16 + lx] = va;
                int j = col0 + lx + 16 * r;
                float vb = 0f;
                if (rb < r1 && j < f) {
                    vb = dOut[rb * f + j];
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
                if (i < taps && j < f) {
                    partial[(g * taps + i) * f + j] = acc[r * 4 + cc];
                }
            }
        }
    }
}
