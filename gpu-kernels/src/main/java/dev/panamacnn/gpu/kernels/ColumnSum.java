package dev.panamacnn.gpu.kernels;

/** {@code out[outOff + j] = sum over i < rows of d[i*cols + j]} (a dense layer's bias gradient), in row order. */
public final class ColumnSum extends NetKernel {
    public float[] d, out;
    public int rows, cols, outOff;

    @Override public void run() {
        int j = getGlobalId();
        if (j < cols) {
            float acc = 0f;
            for (int i = 0; i < rows; i++) {
                acc += d[i * cols + j];
            }
            out[outOff + j] = acc;
        }
    }
}
