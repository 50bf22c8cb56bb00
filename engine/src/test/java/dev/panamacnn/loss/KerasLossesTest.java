package dev.panamacnn.loss;

import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The losses against Keras' formulas ({@code keras/src/losses/losses.py}: targets smoothed as
 * {@code y (1 - s) + s / K} for categorical and {@code y (1 - s) + s / 2} for binary, probabilities clipped to
 * {@code [1e-7, 1 - 1e-7]}), and their fused gradients {@code (p - y') / n} against finite differences of
 * loss(softmax(z)) and loss(sigmoid(z)) w.r.t. the logits.
 */
class KerasLossesTest {
    static Tensor t(Arena a, int rows, int cols, double... v) {
        Tensor x = Tensor.allocate(a, Shape.of(rows, cols));
        for (int i = 0; i < v.length; i++) x.set(i, (float) v[i]);
        return x;
    }

    static double[] softmax(double[] z) {
        double m = Double.NEGATIVE_INFINITY, s = 0;
        for (double v : z) m = Math.max(m, v);
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) { p[i] = Math.exp(z[i] - m); s += p[i]; }
        for (int i = 0; i < z.length; i++) p[i] /= s;
        return p;
    }

    static double lossOf(Loss loss, double[] z, Tensor y, Arena a, boolean sigmoid) {
        double[] p = sigmoid ? new double[] {1 / (1 + Math.exp(-z[0]))} : softmax(z);
        Tensor pt = t(a, 1, p.length, p);
        return loss.rowLoss(pt.segment(), 0, y.segment(), 0, p.length);
    }

    /** The fused gradient matches central differences of the loss through the activation. */
    static void gradientCheck(Loss loss, double[] z, Tensor y, boolean sigmoid) {
        try (Arena a = Arena.ofConfined()) {
            int k = z.length;
            double[] p = sigmoid ? new double[] {1 / (1 + Math.exp(-z[0]))} : softmax(z);
            Tensor pt = t(a, 1, k, p), dz = Tensor.allocate(a, Shape.of(1, k));
            loss.gradient(pt.segment(), y.segment(), dz.segment(), 1, k, 1);
            for (int j = 0; j < k; j++) {
                double[] zp = z.clone(), zm = z.clone();
                zp[j] += 1e-4; zm[j] -= 1e-4;
                double num = (lossOf(loss, zp, y, a, sigmoid) - lossOf(loss, zm, y, a, sigmoid)) / 2e-4;
                assertEquals(num, dz.get(j), 1e-3, loss + " d/dz" + j);
            }
        }
    }

    @Test
    void categoricalWithLabelSmoothing() {
        try (Arena a = Arena.ofConfined()) {
            Loss l = Loss.categoricalCrossentropy(0.1f);
            Tensor p = t(a, 1, 3, 0.7, 0.2, 0.1), y = t(a, 1, 3, 1, 0, 0);
            double[] ys = {1 * 0.9 + 0.1 / 3, 0.1 / 3, 0.1 / 3};
            double expected = -(ys[0] * Math.log(0.7) + ys[1] * Math.log(0.2) + ys[2] * Math.log(0.1));
            assertEquals(expected, l.rowLoss(p.segment(), 0, y.segment(), 0, 3), 1e-6);
            gradientCheck(l, new double[] {0.3, -1.2, 0.8}, y, false);
            gradientCheck(Loss.CATEGORICAL_CROSSENTROPY, new double[] {0.3, -1.2, 0.8}, y, false);
        }
    }

    @Test
    void sparseEqualsCategoricalOnOneHot() {
        try (Arena a = Arena.ofConfined()) {
            Tensor p = t(a, 2, 4, 0.1, 0.6, 0.2, 0.1, 0.25, 0.25, 0.4, 0.1);
            Tensor oneHot = t(a, 2, 4, 0, 1, 0, 0, 0, 0, 0, 1), labels = t(a, 2, 1, 1, 3);
            Tensor d1 = Tensor.allocate(a, Shape.of(2, 4)), d2 = Tensor.allocate(a, Shape.of(2, 4));
            for (int r = 0; r < 2; r++) {
                assertEquals(Loss.CATEGORICAL_CROSSENTROPY.rowLoss(p.segment(), r * 4L, oneHot.segment(), r * 4L, 4),
                        Loss.SPARSE_CATEGORICAL_CROSSENTROPY.rowLoss(p.segment(), r * 4L, labels.segment(), r, 4), 0);
            }
            Loss.CATEGORICAL_CROSSENTROPY.gradient(p.segment(), oneHot.segment(), d1.segment(), 2, 4, 2);
            Loss.SPARSE_CATEGORICAL_CROSSENTROPY.gradient(p.segment(), labels.segment(), d2.segment(), 2, 4, 2);
            for (int i = 0; i < 8; i++) assertEquals(d1.get(i), d2.get(i), 0f);
            assertTrue(Loss.SPARSE_CATEGORICAL_CROSSENTROPY.correct(p.segment(), 0, labels.segment(), 0, 4));
            assertFalse(Loss.SPARSE_CATEGORICAL_CROSSENTROPY.correct(p.segment(), 4, labels.segment(), 1, 4));
            Tensor bad = t(a, 1, 1, 4);
            var e = assertThrows(IllegalArgumentException.class, () -> Loss.SPARSE_CATEGORICAL_CROSSENTROPY.rowLoss(p.segment(), 0, bad.segment(), 0, 4));
            assertTrue(e.getMessage().contains("integer in [0, 4)"), e.getMessage());
        }
    }

    @Test
    void binaryWithAndWithoutSmoothing() {
        try (Arena a = Arena.ofConfined()) {
            Tensor p = t(a, 1, 1, 0.8), y = t(a, 1, 1, 1);
            assertEquals(-Math.log(0.8), Loss.BINARY_CROSSENTROPY.rowLoss(p.segment(), 0, y.segment(), 0, 1), 1e-6);
            double ys = 1 * 0.8 + 0.1;
            assertEquals(-(ys * Math.log(0.8) + (1 - ys) * Math.log(0.2)), Loss.binaryCrossentropy(0.2f).rowLoss(p.segment(), 0, y.segment(), 0, 1), 1e-6);
            gradientCheck(Loss.BINARY_CROSSENTROPY, new double[] {0.4}, y, true);
            gradientCheck(Loss.binaryCrossentropy(0.2f), new double[] {-1.1}, t(a, 1, 1, 0), true);
            assertTrue(Loss.BINARY_CROSSENTROPY.correct(p.segment(), 0, y.segment(), 0, 1));
        }
    }

    @Test
    void topK() {
        try (Arena a = Arena.ofConfined()) {
            Tensor p = t(a, 1, 7, 0.3, 0.2, 0.15, 0.12, 0.1, 0.08, 0.05);
            assertTrue(Loss.SPARSE_CATEGORICAL_CROSSENTROPY.inTopK(p.segment(), 0, t(a, 1, 1, 4).segment(), 0, 7, 5));
            assertFalse(Loss.SPARSE_CATEGORICAL_CROSSENTROPY.inTopK(p.segment(), 0, t(a, 1, 1, 5).segment(), 0, 7, 5));
        }
    }

    @Test
    void namesAndRefusals() {
        assertEquals(Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Loss.byName("sparse_categorical_crossentropy", 0));
        var e = assertThrows(IllegalArgumentException.class, () -> Loss.byName("hinge", 0));
        assertTrue(e.getMessage().contains("'hinge' is not supported"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Loss.byName("sparse_categorical_crossentropy", 0.1f));
    }
}
