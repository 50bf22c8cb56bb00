package dev.panamacnn.nn;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.models.Sequential;

import dev.panamacnn.loss.Loss;
import dev.panamacnn.ops.Reference;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A first-layer convolution fused with its 2 x 2 max pooling (DirectConv.forwardPooled) gives bit-identical
 * training to the two layers run one after the other ({@link Sequential#stepParts} runs them unfused).
 */
class PoolFusionTest {
    @Test void fusedTrainingIsBitIdenticalToTheUnfusedLayers() {
        // one full panel of 32 filters (read in place), fewer than a panel, and a ragged second panel;
        // an output width that is not a multiple of the 8-pixel tile; ReLU and no activation
        check(32, Activation.RELU, 28, 2);
        check(8, Activation.LINEAR, 26, 2);
        check(48, Activation.RELU, 20, 3);
        check(32, Activation.LINEAR, 16, 1);
    }

    @Test void otherLayersAreNotFused() {
        // sigmoid does not commute with the max in the way the fused backward assumes: not fused
        try (Sequential m = model(16, Activation.SIGMOID, 28, 2, 1)) {
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            try (Arena arena = Arena.ofConfined()) {
                Tensor[] xy = batch(arena, 4, 28, 1);
                m.trainOnBatch(xy[0], xy[1]);
            }
            assertFalse(m.cpu().fusedWithNext(0));
        }
    }

    private static Sequential model(int filters, Activation act, int size, int threads, long seed) {
        return new Sequential(
                new Conv2D(filters, 5, 5, act, Shape.of(size, size, 1)),
                new MaxPool2D(2, 2),
                new Flatten(),
                new Dense(10, Activation.SOFTMAX)).seed(seed).threads(threads);
    }

    private static Tensor[] batch(Arena arena, int n, int size, long seed) {
        Tensor x = Tensor.allocate(arena, Shape.of(n, size, size, 1)), y = Tensor.allocate(arena, Shape.of(n, 10));
        Rng r = new Rng(seed);
        for (int i = 0; i < x.size(); i++) x.set(i, r.nextFloat() - 0.3f);
        for (int i = 0; i < n; i++) y.set(i * 10L + r.nextInt(10), 1f);
        return new Tensor[] {x, y};
    }

    private static void check(int filters, Activation act, int size, int threads) {
        try (Arena arena = Arena.ofConfined()) {
            int n = 11;
            Tensor[] xy = batch(arena, n, size, filters + size);
            try (Sequential a = model(filters, act, size, threads, 7); Sequential b = model(filters, act, size, threads, 7)) {
                a.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                b.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                var r1 = a.trainOnBatch(xy[0], xy[1]);
                var r2 = a.trainOnBatch(xy[0], xy[1]);
                assertTrue(a.cpu().fusedWithNext(0), "the first convolution should run fused with its pooling");
                var parts = b.stepParts(xy[0], xy[1]);   // one (fused) step, then the parts, unfused
                parts.values().forEach(Runnable::run);
                String what = filters + " filters, " + act + ", " + size + "x" + size;
                assertArrayEquals(floats(a.parameters(), a.paramCount()), floats(b.parameters(), b.paramCount()), 0f, what);
                // and the fused forward pass (inference) agrees with the scalar reference ops
                float[] p = floats(a.parameters(), a.paramCount()), x = floats(xy[0].segment(), xy[0].size());
                int k = 25 * filters, o = size - 4, pooled = (o / 2) * (o / 2) * filters;
                float[] conv = Reference.conv2dForward(x, n, size, size, 1, Arrays.copyOf(p, k), Arrays.copyOfRange(p, k, k + filters),
                        5, 5, filters, 1, 1);
                if (act == Activation.RELU) for (int i = 0; i < conv.length; i++) conv[i] = Reference.relu(conv[i]);
                float[] pool = Reference.maxPoolForward(conv, n, o, o, filters, 2, 2, 2, 2);
                int d = k + filters;
                float[] expect = Reference.softmax(Reference.denseForward(pool, n, pooled, Arrays.copyOfRange(p, d, d + pooled * 10),
                        Arrays.copyOfRange(p, d + pooled * 10, d + pooled * 10 + 10), 10), n, 10);
                Tensor pa = a.predict(xy[0]);
                for (int i = 0; i < pa.size(); i++) assertEquals(expect[i], pa.get(i), 1e-5, what);
                assertTrue(Double.isFinite(r1.loss()) && r2.loss() != r1.loss(), what);
            }
        }
    }

    private static float[] floats(MemorySegment s, long n) {
        float[] f = new float[(int) n];
        MemorySegment.copy(s, ValueLayout.JAVA_FLOAT, 0, f, 0, f.length);
        return f;
    }
}
