package dev.panamacnn.gpu.kernels;

/**
 * Convolution kernel gradient as an implicit GEMM with the reduction split in fixed slices:
 * {@code partial[g, k, co] = sum over r in slice g of X(r, k) dOut[r, co]}, where {@code X(r, k)} is the im2col
 * matrix read straight from the NHWC input and slice g covers rows {@code [g*slice, (g+1)*slice)}. A
 * {@link SumSlices} launch then adds the slices in order, so the result does not depend on scheduling. Splitting
 * gives a small kernel (conv1: 25 x 32 outputs) enough work-groups. Launch with global (f, kk, slices) with the first
 * two rounded up to 16, local (16, 16, 1).
 */
public final class ConvGemmWeightGrad extends NetKernel {
    public float[] in, dOut, partial;
    public int n, h, w, c, kw, sh, sw, oh, ow, f, kk, slice;
    @Local public float[] tileA = new float[256];
    @Local public float[] tileB = new float[256];

    @Override public void run() {
        int lx = getLocalId(0);
        int ly = getLocalId(1);
        int j = getGlobalId(0);
        int i = getGlobalId(1);
        int g = getGlobalId(2);
        int rows = n * oh * ow;
        int r0 = g * slice;
        int r1 = min(rows, r0 + slice);
        // tileA[ly][lx] = X(r0 + t + lx, k = i): the row varies along lx, the tap is this work-item's row i
        int ki = i < kk ? i : 0;
        int ky = ki / (kw * c);
        int rk = ki - ky * kw * c;
        int kx = rk / c;
        int ci = rk - kx * c;
        int tap = (ky * w + kx) * c + ci;
        float acc = 0f;
        for (int t = r0; t < r1; t += 16) {
            int ra = t + lx;
            float va = 0f;
            if (i < kk && ra < r1) {
                int s = ra / (oh * ow);
                int rem = ra - s * oh * ow;
                int oy = rem / ow;
                int ox = rem - oy * ow;
                va = in[((s * h + oy * sh) * w + ox * sw) * c + tap];
            }
            tileA[ly * 16 + lx] = va;
            int rb = t + ly;
            float vb = 0f;
            if (rb < r1 && j < f) {
                vb = dOut[rb * f + j];
            }
            tileB[ly * 16 + lx] = vb;
            localBarrier();
            for (int q = 0; q < 16; q++) {
                acc += tileA[ly * 16 + q] * tileB[q * 16 + lx];
            }
            localBarrier();
        }
        if (i < kk && j < f) {
            partial[(g * kk + i) * f + j] = acc;
        }
    }
}
