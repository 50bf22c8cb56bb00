package dev.panamacnn.gpu.kernels;

/**
 * {@code C[i, j] = act(sum_l A(i, l) B(l, j) + bias[j])}, with A and B addressed through strides so one kernel serves
 * {@code X W}, {@code dY W^T} and {@code X^T dY}: {@code A(i, l) = a[aOff + i*ars + l*acs]},
 * {@code B(l, j) = b[bOff + l*brs + j*bcs]}, {@code C[i, j] = c[cOff + i*ldc + j]}; the bias is read from
 * {@code b[biasOff + j]} unless {@code biasOff < 0}.
 *
 * <p>Tiled: a 16x16 work-group stages a 16x16 tile of A and of B in local memory per step of 16 along l.
 * Launch with global size (columns, rows), both rounded up to 16, local size (16, 16).
 */
public final class Gemm extends NetKernel {
    public static final int TILE = 16;
    public float[] a, b, c;
    public int m, nn, k, aOff, ars, acs, bOff, brs, bcs, cOff, ldc, biasOff, act;
    @Local public float[] tileA = new float[TILE * TILE];
    @Local public float[] tileB = new float[TILE * TILE];

    @Override public void run() {
        int lx = getLocalId(0);
        int ly = getLocalId(1);
        int j = getGlobalId(0);
        int i = getGlobalId(1);
        float acc = 0f;
        for (int t = 0; t < k; t += 16) {
            int la = t + lx;
            float va = 0f;
            if (i < m && la < k) {
                va = a[aOff + i * ars + la * acs];
            }
            tileA[ly * 16 + lx] = va;
            int lb = t + ly;
            float vb = 0f;
            if (lb < k && j < nn) {
                vb = b[bOff + lb * brs + j * bcs];
            }
            tileB[ly * 16 + lx] = vb;
            localBarrier();
            for (int q = 0; q < 16; q++) {
                acc += tileA[ly * 16 + q] * tileB[q * 16 + lx];
            }
            localBarrier();
        }
        if (i < m && j < nn) {
            if (biasOff >= 0) {
                acc += b[biasOff + j];
            }
            c[cOff + i * ldc + j] = activate(acc, act);
        }
    }
}
