package dev.panamacnn.gpu.kernels;

/** {@code out[outOff + e] = sum over g < slices of partial[g * count + e]}, in slice order (deterministic). */
public final class SumSlices extends NetKernel {
    public float[] partial, out;
    public int count, slices, outOff;

    @Override public void run() {
        int e = getGlobalId();
        if (e < count) {
            float acc = 0f;
            for (int g = 0; g < slices; g++) {
                acc += partial[g * count + e];
            }
            out[outOff + e] = acc;
        }
    }
}
