package dev.panamacnn.gpu.kernels;

/**
 * {@code out[outOff + e] = sum over g < slices of partial[g * stride + e]} for {@code e < count}, in slice order
 * (deterministic); {@code stride >= count} (a convolution without bias sums only the kernel rows of its slices).
 */
public final class SumSlices extends NetKernel {
    public float[] partial, out;
    public int count, stride, slices, outOff;

    @Override public void run() {
        int e = getGlobalId();
        if (e < count) {
            float acc = 0f;
            for (int g = 0; g < slices; g++) {
                acc += partial[g * stride + e];
            }
            out[outOff + e] = acc;
        }
    }
}
