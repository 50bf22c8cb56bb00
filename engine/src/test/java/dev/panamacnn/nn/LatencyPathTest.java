package dev.panamacnn.nn;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Predict on a few samples (the GEMV over a packed kernel, convolution kernels packed once per weights version)
 * gives the same bits as predict on a large batch (the GEMM path), on 1 and 3 threads, and the packed copies follow
 * every change of the weights: a training step, a write through {@link Sequential#parameters()}, a write through a
 * kept segment announced with {@link Sequential#weightsChanged()}, and loaded weights.
 */
class LatencyPathTest {
    static Sequential model(int units, Activation act, int threads) { return model(units, act, threads, 12); }

    static Sequential model(int units, Activation act, int threads, int side) {
        return new Sequential(
                new Conv2D(8, 3, 3, Activation.RELU, Shape.of(side, side, 1)),
                new MaxPool2D(2, 2),
                new Conv2D(16, 3, 3, Activation.RELU),
                new Flatten(),
                new Dense(units, act),
                new Dense(7, Activation.SOFTMAX)).seed(3).threads(threads);
    }

    static Tensor images(Arena arena, int n, long seed) { return images(arena, n, seed, 12); }

    static Tensor images(Arena arena, int n, long seed, int side) {
        Rng r = new Rng(seed);
        Tensor x = Tensor.allocate(arena, Shape.of(n, side, side, 1));
        for (int i = 0; i < x.size(); i++) x.set(i, r.nextFloat());
        return x;
    }

    /** Each of the first {@code few} samples predicted alone and a few at a time, against the batch of all of them. */
    static void samePredictions(Sequential m, Tensor x, String what) {
        int n = x.shape().dim(0);
        float[] all = m.predict(x, n).toArray();
        for (int bs : new int[] {1, 2, 3, 4}) {
            float[] got = m.predict(x, bs).toArray();
            assertArrayEquals(all, got, 0f, what + ": batch " + bs + " vs batch " + n);
        }
    }

    @Test void fewSamplesGiveTheBatchPathsBits() {
        // 300 units: two full GEMV blocks and a ragged third (on 16-lane vectors); 128: one block; 40: a ragged one only
        for (int units : new int[] {300, 128, 40}) {
            for (Activation act : new Activation[] {Activation.RELU, Activation.TANH}) {
                for (int threads : new int[] {1, 3}) {
                    try (Arena arena = Arena.ofShared(); Sequential m = model(units, act, threads)) {
                        m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                        samePredictions(m, images(arena, 24, 1), "units=" + units + " " + act + " threads=" + threads);
                    }
                }
            }
        }
    }

    @Test void aLoneSamplesConvolutionSplitBetweenThreadsGivesTheBatchPathsBits() {
        // 20 x 20 images: the second convolution has 7 x 7 = 49 output rows for one sample, enough to split them between
        // threads (at multiples of the register tile's 8 rows, the last part ragged); a batch of 24 runs group by group
        for (int side : new int[] {20, 26}) {
            for (int threads : new int[] {2, 3}) {
                try (Arena arena = Arena.ofShared(); Sequential m = model(40, Activation.RELU, threads, side)) {
                    m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                    samePredictions(m, images(arena, 24, 4, side), "side=" + side + " threads=" + threads);
                }
            }
        }
    }

    @Test void aLoneSampleTrainsAsOnOneThread() {
        // batch size 1: the first convolution's pooled rows split between the threads, the pooling's window indices kept
        float[][] params = new float[2][];
        int[] threads = {1, 3};
        for (int i = 0; i < 2; i++) {
            try (Arena arena = Arena.ofShared(); Sequential m = model(40, Activation.RELU, threads[i], 20)) {
                m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                Tensor x = images(arena, 3, 8, 20);
                for (int s = 0; s < 3; s++) {
                    Tensor xs = Tensor.allocate(arena, Shape.of(1, 20, 20, 1)), ys = Tensor.allocate(arena, Shape.of(1, 7));
                    for (int j = 0; j < 400; j++) xs.set(j, x.get(s * 400L + j));
                    ys.set(s, 1f);
                    m.trainOnBatch(xs, ys);
                }
                params[i] = m.parameters().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
            }
        }
        assertArrayEquals(params[0], params[1], 0f, "three one-sample steps, 1 thread vs 3");
    }

    @Test void aNonFiniteWeightBehindAZeroInputGivesTheBatchPathsNaN() {
        // the second convolution's channel 5 has a large negative bias, so its ReLU outputs are all zero; the dense kernel's
        // rows for that channel hold infinity: the GEMM makes 0 * inf = NaN, and batch 1 must not skip the zeros then
        try (Arena arena = Arena.ofShared(); Sequential m = model(300, Activation.RELU, 2)) {
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            MemorySegment p = m.parameters();
            int channels = 16, flat = 3 * 3 * channels, units = 300;
            p.setAtIndex(ValueLayout.JAVA_FLOAT, m.paramOffset(2) + 3 * 3 * 8 * channels + 5, -1e6f);
            for (int pos = 0; pos < 9; pos++) {
                for (int u = 0; u < units; u++) p.setAtIndex(ValueLayout.JAVA_FLOAT, m.paramOffset(4) + (long) (pos * channels + 5) * units + u, Float.POSITIVE_INFINITY);
            }
            m.weightsChanged();
            assertTrue(m.paramCount() > m.paramOffset(4) + (long) flat * units, "layout as assumed");
            Tensor x = images(arena, 6, 7);
            float[] all = m.predict(x, 6).toArray();
            assertTrue(Float.isNaN(all[0]), "the batch path's 0 * inf: " + all[0]);
            samePredictions(m, x, "an infinite weight behind zero inputs");
        }
    }

    @Test void packedKernelsFollowEveryChangeOfTheWeights() {
        try (Arena arena = Arena.ofShared(); Sequential m = model(300, Activation.RELU, 2)) {
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            Tensor x = images(arena, 16, 2);
            Tensor one = images(arena, 1, 5);
            float[] before = m.predict(one, 1).toArray();
            samePredictions(m, x, "fresh");

            // a training step
            Tensor y = Tensor.allocate(arena, Shape.of(16, 7));
            for (int i = 0; i < 16; i++) y.set(i * 7L + i % 7, 1f);
            m.trainOnBatch(x, y);
            float[] trained = m.predict(one, 1).toArray();
            assertFalse(java.util.Arrays.equals(before, trained), "a training step must change predict's answer");
            samePredictions(m, x, "after a training step");

            // a write through parameters(): every dense kernel and conv kernel value scaled
            MemorySegment p = m.parameters();
            for (long i = 0; i < m.paramCount(); i++) p.setAtIndex(ValueLayout.JAVA_FLOAT, i, p.getAtIndex(ValueLayout.JAVA_FLOAT, i) * 0.9f);
            samePredictions(m, x, "after parameters() was written");

            // a kept segment written later, announced with weightsChanged()
            m.predict(one, 1);
            for (long i = 0; i < m.paramCount(); i++) p.setAtIndex(ValueLayout.JAVA_FLOAT, i, -p.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            m.weightsChanged();
            samePredictions(m, x, "after a kept segment was written");

            // weights set from another model
            try (Sequential other = model(300, Activation.RELU, 1)) {
                other.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                float[] w = other.parameters().toArray(ValueLayout.JAVA_FLOAT);
                m.predict(one, 1);
                MemorySegment.copy(w, 0, m.parameters(), ValueLayout.JAVA_FLOAT, 0, w.length);
                assertArrayEquals(other.predict(one, 16).toArray(), m.predict(one, 1).toArray(), 0f, "weights copied in");
            }
        }
    }
}
