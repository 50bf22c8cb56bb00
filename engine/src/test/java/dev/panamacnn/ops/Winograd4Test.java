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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Winograd F(4x4, 5x5) against the direct sum: the matrices alone in double precision, the vector path against
 * {@link Reference#conv2dForward} on random shapes (within a bound scaled by the sum of the absolute terms), bias
 * and ReLU, and the bits of any split of the tiles (so of any batch size and thread count).
 */
class Winograd4Test {
    @Test void theMatricesComputeTheCorrelation() {
        Rng r = new Rng(12);
        for (int trial = 0; trial < 50; trial++) {
            double[][] d = new double[8][8], g = new double[5][5];
            for (double[] row : d) for (int i = 0; i < 8; i++) row[i] = r.nextFloat() * 2 - 1;
            for (double[] row : g) for (int i = 0; i < 5; i++) row[i] = r.nextFloat() * 2 - 1;
            double[][] y = Winograd4.tileScalar(d, g);
            for (int oy = 0; oy < 4; oy++)
                for (int ox = 0; ox < 4; ox++) {
                    double want = 0;
                    for (int a = 0; a < 5; a++) for (int b = 0; b < 5; b++) want += d[oy + a][ox + b] * g[a][b];
                    assertEquals(want, y[oy][ox], 1e-11, "tile output (" + oy + ", " + ox + ")");
                }
        }
    }

    /** Random HWIO kernel, input and bias; the layer's outputs through the plan, tiles {@code [0, n)} split at {@code cuts}. */
    private static float[] run(Arena arena, int cnt, int h, int w, int c, int f, float[] x, float[] k, float[] bias, boolean relu, int workers, int... cuts) {
        int oh = h - 4, ow = w - 4;
        MemorySegment params = Tensor.allocateFloats(arena, 7 + k.length + f);   // at an odd offset, as in a model
        MemorySegment.copy(k, 0, params, ValueLayout.JAVA_FLOAT, 7L * 4, k.length);
        if (bias != null) MemorySegment.copy(bias, 0, params, ValueLayout.JAVA_FLOAT, (7L + k.length) * 4, f);
        MemorySegment in = Tensor.allocateFloats(arena, 3 + x.length);
        MemorySegment.copy(x, 0, in, ValueLayout.JAVA_FLOAT, 3L * 4, x.length);
        MemorySegment out = Tensor.allocateFloats(arena, (long) cnt * oh * ow * f);
        Winograd4.Plan plan = new Winograd4.Plan(arena, c, f, oh, ow, workers);
        plan.transformKernel(params, 7);
        int tiles = cnt * plan.tilesPerSample(), from = 0, wk = 0;
        for (int cut : cuts) {
            plan.forwardTiles(in, 3, h, w, from, cut, out, 0, bias == null ? null : params, 7L + k.length, relu, wk);
            from = cut;
            wk = (wk + 1) % workers;
        }
        plan.forwardTiles(in, 3, h, w, from, tiles, out, 0, bias == null ? null : params, 7L + k.length, relu, wk);
        return out.toArray(ValueLayout.JAVA_FLOAT);
    }

    private static float[] random(Rng r, int n, float scale) {
        return KernelGradientCheck.random(r, n, scale);
    }

    @Test void vectorPathMatchesTheDirectSumOnRandomShapes() {
        assumeTrue(Gemm.vectorized());
        int l = Gemm.L, nr = Gemm.NR;
        Rng r = new Rng(6);
        // {h, w, c, f}: the tutorial's second convolution (12 x 12 x 32 -> 8 x 8 x 64), one tile, wide and tall rows
        int[][] shapes = {{12, 12, 2 * l, 2 * nr}, {8, 8, l, nr}, {8, 16, 3 * l, nr}, {16, 12, l, 3 * nr}, {20, 8, 2 * l, nr}};
        for (int[] sh : shapes) {
            int h = sh[0], w = sh[1], c = sh[2], f = sh[3], oh = h - 4, ow = w - 4;
            assertTrue(Winograd4.applies(5, 5, 1, 1, oh, ow, c, f));
            for (int cnt : new int[] {1, 3, 9}) {
                try (Arena arena = Arena.ofConfined()) {
                    float[] x = random(r, cnt * h * w * c, 1), k = random(r, 25 * c * f, 0.2f), bias = random(r, f, 0.5f);
                    float[] want = Reference.conv2dForward(x, cnt, h, w, c, k, bias, 5, 5, f, 1, 1);
                    float[] absX = x.clone(), absK = k.clone(), absB = bias.clone();
                    for (int i = 0; i < absX.length; i++) absX[i] = Math.abs(absX[i]);
                    for (int i = 0; i < absK.length; i++) absK[i] = Math.abs(absK[i]);
                    for (int i = 0; i < absB.length; i++) absB[i] = Math.abs(absB[i]);
                    float[] scale = Reference.conv2dForward(absX, cnt, h, w, c, absK, absB, 5, 5, f, 1, 1);
                    for (boolean relu : new boolean[] {false, true}) {
                        float[] got = run(arena, cnt, h, w, c, f, x, k, bias, relu, 1);
                        double worst = 0;
                        for (int i = 0; i < want.length; i++) {
                            float wi = relu ? Math.max(0, want[i]) : want[i];
                            worst = Math.max(worst, Math.abs(got[i] - wi) / (scale[i] + 1e-6));
                        }
                        // float32 through transforms that scale by up to 15 per side: 8.4e-7 of the absolute-term sum measured
                        assertTrue(worst < 5e-6, "h=" + h + " w=" + w + " c=" + c + " f=" + f + " cnt=" + cnt + " relu=" + relu + ": worst error " + worst + " of the term sum");
                    }
                    // without a bias: the pre-activations
                    float[] noBias = run(arena, cnt, h, w, c, f, x, k, null, false, 1);
                    float[] wantNoBias = Reference.conv2dForward(x, cnt, h, w, c, k, new float[f], 5, 5, f, 1, 1);
                    for (int i = 0; i < wantNoBias.length; i++) {
                        assertTrue(Math.abs(noBias[i] - wantNoBias[i]) < 1e-5 * (scale[i] + 1e-6), "no bias, element " + i + ": " + noBias[i] + " vs " + wantNoBias[i]);
                    }
                }
            }
        }
        assertFalse(Winograd4.applies(5, 5, 1, 1, 6, 8, l, nr), "output side not a multiple of 4");
        assertFalse(Winograd4.applies(5, 5, 1, 1, 8, 8, l, l + 1), "filters not whole panels");
        assertFalse(Winograd4.applies(3, 3, 1, 1, 8, 8, l, nr));
        assertFalse(Winograd4.applies(5, 5, 2, 2, 8, 8, l, nr));
    }

    /**
     * The F(5x5, 4x4) kernel gradient against {@link Reference#conv2dBackward} on random shapes (within a bound scaled
     * by the sum of the absolute terms): one call over three samples, the same samples in two chunks accumulated on the
     * other worker, stale sums cleared, blocks of {@link Winograd4.Plan#GRAD_TILES} cut inside a tile row.
     */
    @Test void kernelGradientMatchesTheDirectSumOnRandomShapes() {
        assumeTrue(Gemm.vectorized());
        int l = Gemm.L, nr = Gemm.NR;
        Rng r = new Rng(9);
        // {h, w, c, f}: the tutorial's second convolution, one tile, wide rows that a block boundary cuts (3 x 2 x 6 tiles),
        // three channel vectors (two positions per A block), many tiles per sample
        int[][] shapes = {{12, 12, 2 * l, 2 * nr}, {8, 8, l, nr}, {12, 28, l, nr}, {16, 12, 3 * l, nr}, {24, 24, l, 2 * nr}};
        assertTrue(3 * 2 * 6 > Winograd4.Plan.GRAD_TILES && (2 * 6) % 8 != 0);
        for (int[] sh : shapes) {
            int h = sh[0], w = sh[1], c = sh[2], f = sh[3];
            assertTrue(Winograd4.Plan.gradientApplies(c, f));
            // V = Bᵀ d B and U = A dy Aᵀ each scale by up to 15 x 15 and G rounds 2/9, 1/90...: 0.7-3.1e-6 of the term sum
            // measured (F(5x5, 2x2)'s test: 3-5e-6)
            KernelGradientCheck.check(r, h, w, c, f, arena -> {
                Winograd4.Plan plan = new Winograd4.Plan(arena, c, f, h - 4, w - 4, 2, true);
                return new KernelGradientCheck.Gradient() {
                    public long sumsSize() { return plan.sumsSize(); }
                    public void sums(MemorySegment in, long inOff, int count, int hh, int ww, MemorySegment dOut, long dOutOff,
                                     MemorySegment sums, long sumsOff, boolean accumulate, int worker) {
                        plan.kernelGradient(in, inOff, count, hh, ww, dOut, dOutOff, sums, sumsOff, accumulate, worker);
                    }
                    public void finish(MemorySegment sums, long sumsOff, MemorySegment dk, long dkOff) {
                        plan.finishKernelGradient(sums, sumsOff, dk, dkOff);
                    }
                };
            }, 1e-5);
        }
        try (Arena arena = Arena.ofConfined()) {
            assertFalse(Winograd4.Plan.gradientApplies(Gemm.MC + l, nr), "more channels than one A block");
            assertThrows(IllegalArgumentException.class, () -> new Winograd4.Plan(arena, Gemm.MC + l, nr, 8, 8, 1, true));
            Winograd4.Plan forwardOnly = new Winograd4.Plan(arena, l, nr, 8, 8, 1);
            MemorySegment any = Tensor.allocateFloats(arena, 64L * l * nr);
            assertThrows(IllegalStateException.class, () -> forwardOnly.kernelGradient(any, 0, 1, 12, 12, any, 0, any, 0, false, 0));
        }
    }

    /**
     * Every split of the tiles, on any worker's buffers, gives the bits of one call: a lone sample's four tiles (the
     * 4-row kernel), blocks cut mid-group, and a block of 1-3 tiles at the end.
     */
    @Test void anySplitOfTheTilesGivesTheSameBits() {
        assumeTrue(Gemm.vectorized());
        int l = Gemm.L, nr = Gemm.NR;
        Rng r = new Rng(31);
        int h = 12, w = 12, c = 2 * l, f = 2 * nr, cnt = 13, tiles = cnt * 4;
        try (Arena arena = Arena.ofConfined()) {
            float[] x = random(r, cnt * h * w * c, 1), k = random(r, 25 * c * f, 0.2f), bias = random(r, f, 0.5f);
            float[] whole = run(arena, cnt, h, w, c, f, x, k, bias, true, 1);
            int[][] splits = {{4}, {4, 8, 12}, {1, 2, 3, 4, 5}, {8, 16, 24, 32, 40, 48}, {7, 19, 33}, {tiles - 3}, {16, 17}};
            for (int[] cuts : splits) {
                assertArrayEquals(whole, run(arena, cnt, h, w, c, f, x, k, bias, true, 3, cuts), 0f, "split at " + java.util.Arrays.toString(cuts));
            }
            // one sample alone (the batch-1 call) against the same sample inside the batch
            int per = h * w * c, outPer = 8 * 8 * f;
            for (int s : new int[] {0, 5, cnt - 1}) {
                float[] one = run(arena, 1, h, w, c, f, java.util.Arrays.copyOfRange(x, s * per, (s + 1) * per), k, bias, true, 1);
                assertArrayEquals(java.util.Arrays.copyOfRange(whole, s * outPer, (s + 1) * outPer), one, 0f, "sample " + s + " alone");
            }
        }
    }

    /** The tutorial's shapes (28 x 28 in, the second convolution 12 x 12 -> 8 x 8), narrowed; one Adam step so the weights are not the initial draw. */
    private static float[][] layerPredictions(String winograd4, Tensor x, Tensor y, int threads) {
        return WinogradTest.withProperty("panamacnn.winograd4", winograd4, () -> {
            try (Sequential m = new Sequential(
                    new Conv2D(Gemm.L, 5, 5, Activation.RELU, Shape.of(28, 28, 1)), new MaxPool2D(2, 2),
                    new Conv2D(Gemm.NR, 5, 5, Activation.RELU), new MaxPool2D(2, 2), new Flatten(),
                    new Dense(20, Activation.RELU), new Dense(7, Activation.SOFTMAX)).seed(3).threads(threads)) {
                m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                m.trainOnBatch(x, y);
                int n = (int) x.shape().dim(0);
                float[] one = new float[n * 7];
                Tensor img = Tensor.allocate(java.lang.foreign.Arena.ofAuto(), Shape.of(1, 28, 28, 1));
                for (int s = 0; s < n; s++) {
                    MemorySegment.copy(x.segment(), (long) s * 28 * 28 * 4, img.segment(), 0, 28L * 28 * 4);
                    System.arraycopy(m.predict(img, 1).toArray(), 0, one, s * 7, 7);
                }
                return new float[][] {m.predict(x, n).toArray(), m.predict(x, 3).toArray(), one};
            }
        });
    }

    /**
     * In a model: predict runs F(4x4, 5x5) by default, close to F(2x2, 5x5)'s answers ({@code -Dpanamacnn.winograd4=false})
     * but not bit for bit, and with the same bits for every batch size and thread count; training is not affected.
     */
    @Test void aModelPredictsOnItByDefaultWithTheSameBitsForAnyBatchAndThreads() {
        assumeTrue(Gemm.vectorized());
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            Rng r = new Rng(19);
            int n = 11;
            Tensor x = Tensor.allocate(arena, Shape.of(n, 28, 28, 1)), y = Tensor.allocate(arena, Shape.of(n, 7));
            for (int i = 0; i < x.size(); i++) x.set(i, r.nextFloat());
            for (int i = 0; i < n; i++) y.set(i * 7L + r.nextInt(7), 1f);
            float[][] f4 = layerPredictions("true", x, y, 1), f4t3 = layerPredictions("true", x, y, 3), f2 = layerPredictions("false", x, y, 2);
            assertArrayEquals(f4[0], f4[1], 0f, "batch " + n + " vs batches of 3");
            assertArrayEquals(f4[0], f4[2], 0f, "batch " + n + " vs one sample at a time");
            for (int i = 0; i < 3; i++) assertArrayEquals(f4[i], f4t3[i], 0f, "1 thread vs 3, call " + i);
            boolean differs = false;
            for (int i = 0; i < f4[0].length; i++) {
                assertEquals(f2[0][i], f4[0][i], 2e-5, "probability " + i + ", F(4x4, 5x5) vs F(2x2, 5x5)");
                differs |= f2[0][i] != f4[0][i];
            }
            assertTrue(differs, "F(4x4, 5x5) ran (its rounding differs from F(2x2, 5x5)'s somewhere)");
            assertThrows(IllegalArgumentException.class, () -> layerPredictions("maybe", x, y, 1));
        }
    }

    /**
     * Training's input gradient of a 5 x 5 convolution as F(4x4, 5x5) (the default) against the scatter GEMM's
     * ({@code -Dpanamacnn.winograd4=false}): every gradient of one step, in particular the first convolution's, which
     * depends on it; 2 threads and 1 give the same bits. With valid padding, and with same padding (the input gradient
     * of the zero-bordered 12 x 12 image, then cropped).
     */
    @Test void trainingsInputGradientMatchesTheGemmPath() {
        for (dev.panamacnn.nn.Padding pad : dev.panamacnn.nn.Padding.values()) trainingsInputGradientMatchesTheGemmPath(pad);
    }

    private static void trainingsInputGradientMatchesTheGemmPath(dev.panamacnn.nn.Padding pad) {
        assumeTrue(Gemm.vectorized());
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            Tensor[] xy = WinogradTest.batch(arena, 14);
            Tensor x = xy[0], y = xy[1];
            float[][] g = new float[3][];
            String[] flags = {"true", "false", "true"};
            int[] threads = {2, 2, 1};
            for (int i = 0; i < 3; i++) {
                int t = threads[i];
                // the kernel gradient on F(5x5, 2x2) in both runs: this test is about the input gradient (the kernel
                // gradient's own test is trainingsKernelGradientMatchesFTwoByTwo)
                g[i] = WinogradTest.withProperty("panamacnn.winograd4", flags[i], () -> WinogradTest.withProperty("panamacnn.winograd4.kernelGradient", "false", () -> {
                    // 20 x 20 -> 16 x 16 x NR -> 8 x 8 x NR -> 4 x 4 x NR: the second convolution's input gradient is 8 x 8 x NR
                    try (Sequential m = new Sequential(
                            new Conv2D(Gemm.NR, 5, 5, Activation.RELU, Shape.of(20, 20, 1)), new MaxPool2D(2, 2),
                            new Conv2D(Gemm.NR, 5, 5, Activation.RELU).padding(pad), new MaxPool2D(2, 2), new Flatten(),
                            new Dense(7, Activation.SOFTMAX)).seed(5).threads(t)) {
                        m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                        m.trainOnBatch(x, y);
                        m.trainOnBatch(x, y);
                        return m.gradients().toArray(ValueLayout.JAVA_FLOAT);
                    }
                }));
            }
            assertArrayEquals(g[0], g[2], 0f, pad + ": 2 threads vs 1");
            double max = 0;
            for (float v : g[1]) max = Math.max(max, Math.abs(v));
            assertTrue(max > 0, "the GEMM path's gradient is not all zero");
            int firstConv = 25 * Gemm.NR + Gemm.NR;
            boolean differs = false;
            for (int i = 0; i < g[0].length; i++) {
                assertEquals(g[1][i], g[0][i], 1e-4 * max, pad + ": gradient " + i + ", F(4x4, 5x5) input gradient vs the GEMM's");
                if (i < firstConv) differs |= g[0][i] != g[1][i];
            }
            assertTrue(differs, pad + ": the first convolution's gradient went through the F(4x4, 5x5) input gradient");
        }
    }

    /**
     * Training's kernel gradient on F(5x5, 4x4) against F(5x5, 2x2) ({@code -Dpanamacnn.winograd4.kernelGradient=false})
     * in a model, after one step from the same weights: 21 samples in 16 groups (valid: 12 x 12 -> 8 x 8, one call per
     * group; same: the 8 x 8 image zero-bordered to 12 x 12, one call per chunk), the bias riding in the same partials;
     * 2 threads and 1 give the same bits.
     */
    @Test void trainingsKernelGradientMatchesFTwoByTwo() {
        assumeTrue(Gemm.vectorized());
        for (dev.panamacnn.nn.Padding pad : dev.panamacnn.nn.Padding.values()) {
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
                int side = pad == dev.panamacnn.nn.Padding.VALID ? 28 : 20;
                Rng r = new Rng(15);
                Tensor x = Tensor.allocate(arena, Shape.of(21, side, side, 1)), y = Tensor.allocate(arena, Shape.of(21, 7));
                for (int i = 0; i < x.size(); i++) x.set(i, r.nextFloat());
                for (int i = 0; i < 21; i++) y.set(i * 7L + r.nextInt(7), 1f);
                float[][] g = new float[3][];
                String[] flags = {"true", "false", "true"};
                int[] threads = {2, 2, 1};
                for (int i = 0; i < 3; i++) {
                    int t = threads[i];
                    g[i] = WinogradTest.withProperty("panamacnn.winograd4.kernelGradient", flags[i], () -> {
                        // valid: 28 -> 24 -> 12 -> 8 (x 2 NR); same: 20 -> 16 -> 8 -> 8
                        try (Sequential m = new Sequential(
                                new Conv2D(Gemm.NR, 5, 5, Activation.RELU, Shape.of(side, side, 1)), new MaxPool2D(2, 2),
                                new Conv2D(2 * Gemm.NR, 5, 5, Activation.RELU).padding(pad), new MaxPool2D(2, 2), new Flatten(),
                                new Dense(7, Activation.SOFTMAX)).seed(5).threads(t)) {
                            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                            m.trainOnBatch(x, y);
                            return m.gradients().toArray(ValueLayout.JAVA_FLOAT);
                        }
                    });
                }
                assertArrayEquals(g[0], g[2], 0f, pad + ": 2 threads vs 1");
                int firstConv = 25 * Gemm.NR + Gemm.NR, secondConv = 25 * Gemm.NR * 2 * Gemm.NR;
                double max = 0;
                for (int i = firstConv; i < firstConv + secondConv; i++) max = Math.max(max, Math.abs(g[1][i]));
                assertTrue(max > 0, "the second convolution's gradient is not all zero");
                boolean differs = false;
                for (int i = firstConv; i < firstConv + secondConv; i++) {
                    assertEquals(g[1][i], g[0][i], 1e-5 * max, pad + ": kernel gradient " + (i - firstConv) + ", F(5x5, 4x4) vs F(5x5, 2x2)");
                    differs |= g[0][i] != g[1][i];
                }
                for (int i = firstConv + secondConv; i < g[0].length; i++) assertEquals(g[1][i], g[0][i], 0f, pad + ": gradient " + i + " past the kernel");
                assertTrue(differs, pad + ": the kernel gradient went through F(5x5, 4x4)");
            }
        }
    }

    /** The scalar kernel transform (predict's, once per weights version) gives the vector one's bits (training's, every step). */
    @Test void scalarKernelTransformGivesTheVectorOnesBits() {
        assumeTrue(Gemm.vectorized());
        Rng r = new Rng(41);
        int c = 2 * Gemm.L, f = 2 * Gemm.NR;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment params = Tensor.allocateFloats(arena, 5 + 25L * c * f);
            for (long i = 0; i < params.byteSize() / 4; i++) params.setAtIndex(ValueLayout.JAVA_FLOAT, i, (r.nextFloat() * 2 - 1) * (i % 7 == 0 ? 30 : 0.2f));
            Winograd4.Plan vec = new Winograd4.Plan(arena, c, f, 8, 8, 1), scalar = new Winograd4.Plan(arena, c, f, 8, 8, 1);
            vec.transformKernel(params, 5);
            scalar.transformKernelScalar(params, 5);
            assertArrayEquals(vec.kernel64.toArray(ValueLayout.JAVA_FLOAT), scalar.kernel64.toArray(ValueLayout.JAVA_FLOAT), 0f, "transformed kernels");
            for (int p = 0; p < Winograd4.POS; p++) {
                assertArrayEquals(vec.packed[p].toArray(ValueLayout.JAVA_FLOAT), scalar.packed[p].toArray(ValueLayout.JAVA_FLOAT), 0f, "packed position " + p);
            }
        }
    }
}
