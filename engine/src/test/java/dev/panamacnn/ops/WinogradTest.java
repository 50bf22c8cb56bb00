package dev.panamacnn.ops;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Flatten;
import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Winograd F(2x2, 5x5) against the direct sum: the transform matrices alone in double precision (exact up to
 * rounding), the vector path against {@link Reference#conv2dForward} on random shapes (within a bound scaled by
 * the sum of the absolute terms), and the layer with {@code -Dpanamacnn.winograd} against the direct path ({@code off}).
 */
class WinogradTest {
    @Test void theMatricesComputeTheCorrelation() {
        Rng r = new Rng(11);
        for (int trial = 0; trial < 50; trial++) {
            double[][] d = new double[6][6], g = new double[5][5];
            for (double[] row : d) for (int i = 0; i < 6; i++) row[i] = r.nextFloat() * 2 - 1;
            for (double[] row : g) for (int i = 0; i < 5; i++) row[i] = r.nextFloat() * 2 - 1;
            double[][] y = Winograd.tileScalar(d, g);
            for (int oy = 0; oy < 2; oy++)
                for (int ox = 0; ox < 2; ox++) {
                    double want = 0;
                    for (int a = 0; a < 5; a++) for (int b = 0; b < 5; b++) want += d[oy + a][ox + b] * g[a][b];
                    assertEquals(want, y[oy][ox], 1e-12, "tile output (" + oy + ", " + ox + ")");
                }
        }
    }

    @Test void vectorPathMatchesTheDirectSumOnRandomShapes() {
        assumeTrue(Gemm.vectorized());
        int l = Gemm.L;
        Rng r = new Rng(5);
        int[][] shapes = {{6, 6, l, l}, {12, 12, 2 * l, 4 * l}, {8, 14, l, 2 * l}, {16, 10, 3 * l, l}, {10, 6, 2 * l, 3 * l}};
        for (int[] sh : shapes) {
            int h = sh[0], w = sh[1], c = sh[2], f = sh[3], oh = h - 4, ow = w - 4;
            assertTrue(Winograd.applies(5, 5, 1, 1, oh, ow, c, f));
            for (int cnt : new int[] {1, 3}) {
                try (Arena arena = Arena.ofConfined()) {
                    float[] x = new float[cnt * h * w * c], k = new float[25 * c * f];
                    for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
                    for (int i = 0; i < k.length; i++) k[i] = (r.nextFloat() * 2 - 1) * 0.2f;
                    float[] want = Reference.conv2dForward(x, cnt, h, w, c, k, new float[f], 5, 5, f, 1, 1);
                    float[] absX = x.clone(), absK = k.clone();
                    for (int i = 0; i < absX.length; i++) absX[i] = Math.abs(absX[i]);
                    for (int i = 0; i < absK.length; i++) absK[i] = Math.abs(absK[i]);
                    float[] scale = Reference.conv2dForward(absX, cnt, h, w, c, absK, new float[f], 5, 5, f, 1, 1);

                    MemorySegment params = Tensor.allocateFloats(arena, 7 + k.length);   // at an odd offset, as in a model
                    MemorySegment.copy(k, 0, params, ValueLayout.JAVA_FLOAT, 7L * 4, k.length);
                    MemorySegment in = Tensor.allocateFloats(arena, 3 + x.length);
                    MemorySegment.copy(x, 0, in, ValueLayout.JAVA_FLOAT, 3L * 4, x.length);
                    MemorySegment out = Tensor.allocateFloats(arena, want.length);
                    Winograd.Plan plan = new Winograd.Plan(arena, c, f, oh, ow, 4, 2);
                    plan.transformKernel(params, 7);
                    plan.forward(in, 3, cnt, h, w, out, 0, null, 0, false, 1, new Gemm.Scratch(arena));
                    float[] got = out.toArray(ValueLayout.JAVA_FLOAT);
                    double worst = 0;
                    for (int i = 0; i < want.length; i++) {
                        double err = Math.abs(got[i] - want[i]) / (scale[i] + 1e-6);
                        worst = Math.max(worst, err);
                    }
                    // float32 through transforms that scale by up to 25: a few 1e-7 of the absolute-term sum
                    assertTrue(worst < 2e-6, "h=" + h + " w=" + w + " c=" + c + " f=" + f + " cnt=" + cnt + ": worst error " + worst + " of the term sum");
                    assertThrows(IllegalArgumentException.class, () -> plan.forward(in, 3, 5, h, w, out, 0, null, 0, false, 0, null));
                }
            }
        }
        assertFalse(Winograd.applies(3, 3, 1, 1, 8, 8, l, l));
        assertFalse(Winograd.applies(5, 5, 2, 2, 8, 8, l, l));
        assertFalse(Winograd.applies(5, 5, 1, 1, 7, 8, l, l));
        assertFalse(Winograd.applies(5, 5, 1, 1, 8, 8, l + 1, l));
    }

    /** The 36 products straight on the micro-kernel, eight tiles at a time, give the bits of {@code Gemm.gemmPacked} over the chunk. */
    @Test void directProductsGiveTheGemmsBits() {
        assumeTrue(Gemm.vectorized());
        int l = Gemm.L;
        Rng r = new Rng(23);
        int[][] shapes = {{12, 12, 2 * l, 4 * l}, {8, 14, l, 2 * l}, {10, 16, 3 * l, 2 * l}};
        for (int[] sh : shapes) {
            int h = sh[0], w = sh[1], c = sh[2], f = sh[3], oh = h - 4, ow = w - 4;
            for (int cnt : new int[] {1, 3}) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment params = Tensor.allocateFloats(arena, 25L * c * f), bias = Tensor.allocateFloats(arena, f);
                    for (long i = 0; i < 25L * c * f; i++) params.setAtIndex(ValueLayout.JAVA_FLOAT, i, (r.nextFloat() * 2 - 1) * 0.2f);
                    for (long i = 0; i < f; i++) bias.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
                    MemorySegment in = Tensor.allocateFloats(arena, (long) cnt * h * w * c);
                    for (long i = 0; i < in.byteSize() / 4; i++) in.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() * 2 - 1);
                    float[][] got = new float[2][];
                    for (int d = 0; d < 2; d++) {
                        Winograd.Plan plan = new Winograd.Plan(arena, c, f, oh, ow, 3, 1, d == 0);
                        plan.transformKernel(params, 0);
                        MemorySegment out = Tensor.allocateFloats(arena, (long) cnt * oh * ow * f);
                        plan.forward(in, 0, cnt, h, w, out, 0, bias, 0, true, 0, new Gemm.Scratch(arena));
                        got[d] = out.toArray(ValueLayout.JAVA_FLOAT);
                    }
                    assertArrayEquals(got[1], got[0], 0f, "h=" + h + " w=" + w + " c=" + c + " f=" + f + " cnt=" + cnt);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> {
            try (Arena arena = Arena.ofConfined()) { new Winograd.Plan(arena, l, 3 * l, 4, 4, 1, 1, true); }
        });
    }

    /** Tile ranges that start and end inside a tile row (the input transform works a row of tiles at a time) give the whole call's bits. */
    @Test void tileRangesStartingInsideARowGiveTheWholeCallsBits() {
        assumeTrue(Gemm.vectorized());
        int l = Gemm.L;
        Rng r = new Rng(17);
        int[][] shapes = {{12, 12, 2 * l, 2 * l}, {8, 14, l, 2 * l}, {10, 16, l, l}};
        for (int[] sh : shapes) {
            int h = sh[0], w = sh[1], c = sh[2], f = sh[3], oh = h - 4, ow = w - 4, cnt = 3;
            try (Arena arena = Arena.ofConfined()) {
                float[] k = new float[25 * c * f];
                for (int i = 0; i < k.length; i++) k[i] = (r.nextFloat() * 2 - 1) * 0.2f;
                MemorySegment params = Tensor.allocateFloats(arena, k.length);
                MemorySegment.copy(k, 0, params, ValueLayout.JAVA_FLOAT, 0, k.length);
                MemorySegment in = Tensor.allocateFloats(arena, 5 + (long) cnt * h * w * c), bias = Tensor.allocateFloats(arena, f);
                for (long i = 0; i < in.byteSize() / 4; i++) in.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() * 2 - 1);
                for (long i = 0; i < f; i++) bias.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
                long outSize = (long) cnt * oh * ow * f;
                MemorySegment whole = Tensor.allocateFloats(arena, outSize), parts = Tensor.allocateFloats(arena, outSize);
                Winograd.Plan plan = new Winograd.Plan(arena, c, f, oh, ow, cnt, 1);
                plan.transformKernel(params, 0);
                Gemm.Scratch gs = new Gemm.Scratch(arena);
                plan.forward(in, 5, cnt, h, w, whole, 0, bias, 0, true, 0, gs);
                int tiles = cnt * plan.tilesPerSample();
                for (int trial = 0; trial < 4; trial++) {
                    parts.fill((byte) 0);
                    for (int t0 = 0; t0 < tiles; ) {
                        int t1 = Math.min(tiles, t0 + 1 + r.nextInt(2 * (ow / 2) + 1));
                        plan.forwardTiles(in, 5, h, w, t0, t1, parts, 0, bias, 0, true, 0, gs);
                        t0 = t1;
                    }
                    assertArrayEquals(whole.toArray(ValueLayout.JAVA_FLOAT), parts.toArray(ValueLayout.JAVA_FLOAT), 0f,
                            "h=" + h + " w=" + w + " c=" + c + " f=" + f + ", trial " + trial);
                }
            }
        }
    }

    @Test void kernelGradientMatchesTheDirectSumOnRandomShapes() {
        assumeTrue(Gemm.vectorized());
        int l = Gemm.L;
        Rng r = new Rng(6);
        // the last shape's 3 samples have more tiles (3 x 6 x 10) than one block (GRAD_TILES)
        assertTrue(3 * 6 * 10 > Winograd.Plan.GRAD_TILES);
        int[][] shapes = {{6, 6, l, 2 * l}, {12, 12, 2 * l, 4 * l}, {8, 14, l, 2 * l}, {16, 10, 3 * l, 2 * l}, {10, 6, 2 * l, 6 * l}, {16, 24, l, 2 * l}};
        for (int[] sh : shapes) {
            int h = sh[0], w = sh[1], c = sh[2], f = sh[3];
            // V = Bᵀ d B scales by up to 100 and U = A dy Aᵀ by up to 49: 3-5e-6 of the term sum measured
            KernelGradientCheck.check(r, h, w, c, f, arena -> {
                Winograd.Plan plan = new Winograd.Plan(arena, c, f, h - 4, w - 4, 4, 2);
                Gemm.Scratch gs = new Gemm.Scratch(arena);
                return new KernelGradientCheck.Gradient() {
                    public long sumsSize() { return plan.sumsSize(); }
                    public void sums(MemorySegment in, long inOff, int count, int hh, int ww, MemorySegment dOut, long dOutOff,
                                     MemorySegment sums, long sumsOff, boolean accumulate, int worker) {
                        plan.kernelGradient(in, inOff, count, hh, ww, dOut, dOutOff, sums, sumsOff, accumulate, worker, gs);
                    }
                    public void finish(MemorySegment sums, long sumsOff, MemorySegment dk, long dkOff) {
                        plan.finishKernelGradient(sums, sumsOff, dk, dkOff);
                    }
                };
            }, 1e-5);
            try (Arena arena = Arena.ofConfined()) {
                // more samples than the plan's count per call
                Winograd.Plan plan = new Winograd.Plan(arena, c, f, h - 4, w - 4, 4, 2);
                MemorySegment any = Tensor.allocateFloats(arena, 5L * h * w * c + 5L * (h - 4) * (w - 4) * f + plan.sumsSize());
                Gemm.Scratch gs = new Gemm.Scratch(arena);
                assertThrows(IllegalArgumentException.class, () -> plan.kernelGradient(any, 0, 5, h, w, any, 0, any, 0, false, 0, gs));
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            // filters that do not fill whole B panels, or more channels than one A block: the direct path's job
            assertFalse(new Winograd.Plan(arena, l, l, 8, 8, 4, 1).gradientApplies() && Gemm.NR != l);
            assertFalse(new Winograd.Plan(arena, Gemm.MC + l, 2 * l, 8, 8, 1, 1).gradientApplies());
        }
    }

    static Sequential model(int threads) {
        return new Sequential(
                new Conv2D(Gemm.L, 5, 5, Activation.RELU, Shape.of(20, 20, 1)),
                new MaxPool2D(2, 2),
                new Conv2D(2 * Gemm.L, 5, 5, Activation.RELU),
                new MaxPool2D(2, 2),
                new Flatten(),
                new Dense(30, Activation.RELU),
                new Dense(7, Activation.SOFTMAX)).seed(4).threads(threads);
    }

    /**
     * Training's gradients on the Winograd path against the direct path's, from the same weights and batch: 21 samples
     * in 16 groups of one or two, whose 36 sums are added up before the one transform per step; the bias gradient
     * rides in the same partials.
     */
    @Test void winogradTrainingGradientsMatchTheDirectPaths() {
        assumeTrue(Gemm.vectorized());
        try (Arena arena = Arena.ofShared()) {
            Tensor[] xy = batch(arena, 12);
            Tensor x = xy[0], y = xy[1];
            float[][] g = new float[2][];
            String[] modes = {"on", "predict"};
            for (int i = 0; i < 2; i++) {
                g[i] = withMode(modes[i], () -> {
                    try (Sequential m = model(2)) {
                        m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                        m.trainOnBatch(x, y);
                        return m.gradients().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
                    }
                });
            }
            double max = 0;
            for (float v : g[1]) max = Math.max(max, Math.abs(v));
            assertTrue(max > 0, "the direct path's gradient is not all zero");
            boolean differs = false;
            for (int i = 0; i < g[0].length; i++) {
                assertEquals(g[1][i], g[0][i], 1e-4 * max, "gradient " + i + ", Winograd vs direct");
                differs |= g[0][i] != g[1][i];
            }
            assertTrue(differs, "the Winograd path ran");
        }
    }

    /** A lone sample's tiles are split between the threads (8 x 8 outputs: 16 tiles); the bits stay those of a whole batch on one thread. */
    @Test void aLoneSamplesTilesSplitBetweenThreadsGiveTheBatchBits() {
        assumeTrue(Gemm.vectorized());
        try (Arena arena = Arena.ofShared()) {
            Rng r = new Rng(12);
            int n = 5;
            Tensor x = Tensor.allocate(arena, Shape.of(n, 28, 28, 1)), one = Tensor.allocate(arena, Shape.of(1, 28, 28, 1));
            for (int i = 0; i < x.size(); i++) x.set(i, r.nextFloat());
            float[][] got = withMode("predict", () -> {
                float[][] res = new float[3][];
                for (int t : new int[] {1, 2, 3}) {
                    Sequential m = new Sequential(
                            new Conv2D(Gemm.L, 5, 5, Activation.RELU, Shape.of(28, 28, 1)), new MaxPool2D(2, 2),
                            new Conv2D(2 * Gemm.L, 5, 5, Activation.RELU), new MaxPool2D(2, 2), new Flatten(),
                            new Dense(7, Activation.SOFTMAX)).seed(8).threads(t);
                    try (m) {
                        m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                        if (t == 1) {
                            res[0] = m.predict(x, n).toArray();
                        } else {
                            float[] all = new float[n * 7];
                            for (int s = 0; s < n; s++) {
                                MemorySegment.copy(x.segment(), (long) s * 28 * 28 * 4, one.segment(), 0, 28L * 28 * 4);
                                System.arraycopy(m.predict(one, 1).toArray(), 0, all, s * 7, 7);
                            }
                            res[t - 1] = all;
                        }
                    }
                }
                return res;
            });
            assertArrayEquals(got[0], got[1], 0f, "batch 1 on 2 threads vs the batch on one");
            assertArrayEquals(got[0], got[2], 0f, "batch 1 on 3 threads vs the batch on one");
        }
    }

    /** 21 random 20 x 20 images and one-hot labels of 7 classes: {@code {x, y}}. */
    static Tensor[] batch(Arena arena, long seed) {
        Rng r = new Rng(seed);
        Tensor x = Tensor.allocate(arena, Shape.of(21, 20, 20, 1)), y = Tensor.allocate(arena, Shape.of(21, 7));
        for (int i = 0; i < x.size(); i++) x.set(i, r.nextFloat());
        for (int i = 0; i < 21; i++) y.set(i * 7L + r.nextInt(7), 1f);
        return new Tensor[] {x, y};
    }

    /** {@link #model}'s predictions on {@code x} after {@code steps} Adam steps on {@code (x, y)}, in the current mode. */
    static float[] afterSteps(int threads, int steps, Tensor x, Tensor y) {
        try (Sequential m = model(threads)) {
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            for (int i = 0; i < steps; i++) m.trainOnBatch(x, y);
            return m.predict(x, 21).toArray();
        }
    }

    /** The loss of {@link #model}'s second Adam step on {@code (x, y)}, 2 threads, in the current mode. */
    static double secondStepLoss(Tensor x, Tensor y) {
        try (Sequential m = model(2)) {
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            m.trainOnBatch(x, y);
            return m.trainOnBatch(x, y).loss();
        }
    }

    /**
     * Runs {@code body} with {@code -Dpanamacnn.winograd=mode} and inference's F(4x4, 5x5) off (these tests are about
     * F(2x2, 5x5); {@link Winograd4Test} covers the other), restoring both properties after.
     */
    static <T> T withMode(String mode, Supplier<T> body) {
        return withProperty("panamacnn.winograd", mode, () -> withProperty("panamacnn.winograd4", "false", body));
    }

    /** Runs {@code body} with the system property {@code name} set to {@code value}, restoring it after. */
    static <T> T withProperty(String name, String value, Supplier<T> body) {
        String before = System.getProperty(name);
        System.setProperty(name, value);
        try {
            return body.get();
        } finally {
            if (before == null) System.clearProperty(name);
            else System.setProperty(name, before);
        }
    }

    @Test void layerOnWinogradAgreesWithTheDirectPathAndKeepsThreadBits() {
        assumeTrue(Gemm.vectorized());
        try (Arena arena = Arena.ofShared()) {
            Tensor[] xy = batch(arena, 9);
            Tensor x = xy[0], y = xy[1];
            float[] direct, wino1, wino3, winoFew, byDefault;
            direct = withMode("off", () -> {
                try (Sequential m = model(2)) {
                    m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                    m.trainOnBatch(x, y);
                    return m.predict(x, 21).toArray();
                }
            });
            float[][] got = withMode("predict", () -> {
                float[][] res = new float[3][];
                for (int t : new int[] {1, 3}) {
                    try (Sequential m = model(t)) {
                        m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                        m.trainOnBatch(x, y);   // training stays on the direct path in "predict" mode
                        res[t == 1 ? 0 : 1] = m.predict(x, 21).toArray();
                        if (t == 3) res[2] = m.predict(x, 2).toArray();
                    }
                }
                return res;
            });
            wino1 = got[0]; wino3 = got[1]; winoFew = got[2];
            assertArrayEquals(wino1, wino3, 0f, "Winograd path: 1 thread vs 3");
            assertArrayEquals(wino1, winoFew, 0f, "Winograd path: batch 21 vs batches of 2");
            boolean differs = false;
            for (int i = 0; i < direct.length; i++) {
                assertEquals(direct[i], wino1[i], 2e-5, "probability " + i + ", Winograd vs direct");
                differs |= direct[i] != wino1[i];
            }
            assertTrue(differs, "the Winograd path ran (its rounding differs from the direct sum's somewhere)");

            // "on": training's forward pass and kernel gradient too; the loss of the same step agrees closely with the
            // direct path's ("predict": training on the direct path)
            double lossDirect = withMode("predict", () -> secondStepLoss(x, y)), lossWino = withMode("on", () -> secondStepLoss(x, y));
            assertEquals(lossDirect, lossWino, 1e-4, "loss of step 2, Winograd forward and kernel gradient vs direct");
            assertTrue(lossDirect != lossWino, "step 2 ran on two different paths");
            float[] on1 = withMode("on", () -> afterSteps(1, 3, x, y)), on3 = withMode("on", () -> afterSteps(3, 3, x, y));
            assertArrayEquals(on1, on3, 0f, "Winograd training: 1 thread vs 3, after 3 steps");
            // the default is "on": training and predict both on Winograd
            byDefault = withProperty("panamacnn.winograd4", "false", () -> afterSteps(1, 3, x, y));
            assertArrayEquals(on1, byDefault, 0f, "the default trains and predicts on the Winograd path");
            float[] predictMode = withMode("predict", () -> afterSteps(1, 3, x, y));
            boolean trainingDiffers = false;
            for (int i = 0; i < byDefault.length; i++) trainingDiffers |= byDefault[i] != predictMode[i];
            assertTrue(trainingDiffers, "'predict' mode trains on the direct path, whose weights round differently");
            assertThrows(IllegalArgumentException.class, () -> withMode("sometimes", () -> {
                try (Sequential m = model(1)) {
                    m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                    return m.predict(x, 21);
                }
            }));
        }
    }
}
