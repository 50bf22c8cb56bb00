package dev.panamacnn.data;

import dev.panamacnn.ops.LossOps;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;

/**
 * Inputs {@code x} of shape {@code (N, ...)} and targets {@code y} of shape {@code (N, classes)} (one-hot),
 * both off-heap: Keras' {@code (x_train, y_train)} pair.
 */
public final class Dataset {
    private final Tensor x, y;

    public Dataset(Tensor x, Tensor y) {
        if (x.shape().rank() < 2 || y.shape().rank() != 2) {
            throw new IllegalArgumentException("Dataset: x must be (N, ...) and y (N, classes); got " + x.shape() + " and " + y.shape());
        }
        if (x.shape().dim(0) != y.shape().dim(0)) {
            throw new IllegalArgumentException("Dataset: " + x.shape().dim(0) + " inputs but " + y.shape().dim(0) + " targets");
        }
        this.x = x;
        this.y = y;
    }

    public Tensor x() { return x; }
    public Tensor y() { return y; }
    public int size() { return x.shape().dim(0); }
    public int classes() { return y.shape().dim(1); }

    /** The shape of one input sample, e.g. {@code (28, 28, 1)}. */
    public Shape sampleShape() {
        int[] d = x.shape().dims();
        return Shape.of(java.util.Arrays.copyOfRange(d, 1, d.length));
    }

    /** The class index of sample {@code i}: its label for one-column targets, else the arg-max of its target row. */
    public int label(int i) {
        if (classes() == 1) return (int) y.segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
        return LossOps.argmax(y.segment(), (long) i * classes(), classes());
    }

    /** Inputs {@code x} with integer class labels, as {@code sparse_categorical_crossentropy} takes them ({@code (N, 1)}). */
    public static Dataset sparse(Tensor x, int[] labels) {
        Tensor y = Tensor.allocate(java.lang.foreign.Arena.ofAuto(), Shape.of(labels.length, 1));
        for (int i = 0; i < labels.length; i++) y.set(i, labels[i]);
        return new Dataset(x, y);
    }

    /** This data set with its one-hot targets turned into integer labels {@code (N, 1)} (the inputs are shared, not copied). */
    public Dataset sparse() {
        if (classes() == 1) return this;
        int[] l = new int[size()];
        for (int i = 0; i < l.length; i++) l[i] = label(i);
        return sparse(x, l);
    }

    /** The first {@code n} samples, as a view (no copy). */
    public Dataset take(int n) {
        if (n < 1 || n > size()) throw new IllegalArgumentException("take(" + n + "): the data set has " + size() + " samples");
        return slice(0, n);
    }

    /** Samples {@code [from, from + n)} as a view. */
    public Dataset slice(int from, int n) {
        if (from < 0 || n < 1 || from + n > size()) throw new IllegalArgumentException("slice out of range");
        int[] xd = x.shape().dims();
        xd[0] = n;
        long xs = (long) sampleShape().size() * 4, ys = (long) classes() * 4;
        return new Dataset(new Tensor(Shape.of(xd), x.segment().asSlice(from * xs, n * xs)),
                new Tensor(Shape.of(n, classes()), y.segment().asSlice(from * ys, n * ys)));
    }
}
