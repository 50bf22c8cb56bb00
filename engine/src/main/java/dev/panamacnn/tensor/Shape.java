package dev.panamacnn.tensor;

import java.util.Arrays;

/**
 * The shape of one sample, or of a batch when the first dimension is the batch.
 *
 * <p>Layout convention, fixed for the whole engine: images are <b>NHWC</b> (Keras' {@code channels_last}),
 * row-major, so a batch of images of shape {@code (28, 28, 1)} is stored as
 * {@code x[((n * H + h) * W + w) * C + c]}. Dense activations are {@code (N, features)} row-major.
 * Convolution kernels are {@code (KH, KW, Cin, Cout)} (Keras' layout), dense kernels {@code (in, out)}.
 */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        for (int d : dims) {
            if (d <= 0) throw new IllegalArgumentException("dimensions must be positive: " + Arrays.toString(dims));
        }
        this.dims = dims;
        size(); // overflow check
    }

    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    public int rank() { return dims.length; }

    public int dim(int i) { return dims[i]; }

    public int[] dims() { return dims.clone(); }

    /** Number of elements; throws if it does not fit in an int. */
    public int size() {
        long s = 1;
        for (int d : dims) {
            s *= d;
            if (s > Integer.MAX_VALUE) throw new IllegalArgumentException("shape too large: " + Arrays.toString(dims));
        }
        return (int) s;
    }

    /** This shape with a leading batch dimension. */
    public Shape withBatch(int n) {
        int[] d = new int[dims.length + 1];
        d[0] = n;
        System.arraycopy(dims, 0, d, 1, dims.length);
        return new Shape(d);
    }

    /** Keras-style rendering with a free batch dimension: {@code (None, 24, 24, 32)}. */
    public String toKerasString() {
        StringBuilder sb = new StringBuilder("(None");
        for (int d : dims) sb.append(", ").append(d);
        return sb.append(')').toString();
    }

    @Override public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }
    @Override public int hashCode() { return Arrays.hashCode(dims); }
    @Override public String toString() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) { if (i > 0) sb.append(", "); sb.append(dims[i]); }
        if (dims.length == 1) sb.append(',');
        return sb.append(')').toString();
    }
}
