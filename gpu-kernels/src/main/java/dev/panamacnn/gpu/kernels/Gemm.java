package dev.panamacnn.gpu.kernels;

/**
 * {@code C[i, j] = act(sum_l A(i, l) B(l, j) + bias[j])}, with A and B addressed through strides so one kernel serves
 * {@code X W}, {@code dY W^T} and {@code X^T dY}: {@code A(i, l) = a[aOff + i*ars + l*acs]},
 * {@code B(l, j) = b[bOff + l*brs + j*bcs]}, {@code C[i, j] = c[cOff + i*ldc + j]}; the bias is read from
 * {@code b[biasOff + j]} unless {@code biasOff < 0}.
 *
 * <p>Tiled twice: a 16x16 work-group computes a 64x64 tile of C, staging 64x16 slices of A and 16x64 of B in local
 * memory per step of 16 along l, and each work-item keeps 4x4 outputs (rows {@code ly + 16 r}, columns
 * {@code lx + 16 c}) in a private array, so every value read from local memory feeds four multiply-adds.
 * Launch with global {@code (ceil(n / 64) * 16, ceil(m / 64) * 16)}, local (16, 16): see {@link #global}.
 *
 * <p>{@link ConvGemmForward} and {@link ConvGemmWeightGrad} repeat the tile product below on purpose: with it moved
 * into a shared instance helper (Aparapi translates that), PoCL ran the GEMM launches about 10% slower (a step 434
 * vs 416 ms, two runs each of {@code OpenClProfile 128 5}).
 */
public final class Gemm extends NetKernel {
    /** Rows and columns of C per work-group. */
    public static final int TILE = 64;
    public float[] a, b, c;
    public int m, nn, k, aOff, ars, acs, bOff, brs, bcs, cOff, ldc, biasOff, act;
    @Local public float[] tileA = new float[64 * 16];
    @Local public float[] tileB = new float[16 * 64];
    @PrivateMemorySpace(16) public float[] acc = new float[16];

    /** The global size for an {@code m x n} product. */
    public static long[] global(long m, long n) {
        return new long[] {(n + TILE - 1) / TILE * 16, (m + TILE - 1) / TILE * 16};
    }

    @Override public void run() {
        int lx = getLocalId(0);
        int ly = getLocalId(1);
        int row0 = getGroupId(1) * 64;
        int col0 = getGroupId(0) * 64;
        for (int e = 0; e < 16; e++) {
            acc[e] = 0f;
        }
        for (int t = 0; t < k; t += 16) {
            // each work-item stages 4 elements of the 64x16 A tile and 4 of the 16x64 B tile
            for (int r = 0; r < 4; r++) {
                int i = row0 + ly + 16 * r;
                int la = t + lx;
                float va = 0f;
                if (i < m && la < k) {
                    va = a[aOff + i * ars + la * acs];
                }
                tileA[(ly + 16 * r) * 16 + lx] = va;
                int lb = t + ly;
                int j = col0 + lx + 16 * r;
                float vb = 0f;
                if (lb < k && j < nn) {
                    vb = b[bOff + lb * brs + j * bcs];
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
                if (i < m && j < nn) {
                    float v = acc[r * 4 + cc];
                    if (biasOff >= 0) {
                        v += b[biasOff + j];
                    }
                    c[cOff + i * ldc + j] = activate(v, act);
                }
            }
        }
    }
}
