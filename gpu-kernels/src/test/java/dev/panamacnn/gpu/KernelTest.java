package dev.panamacnn.gpu;

import dev.panamacnn.gpu.kernels.Act;
import dev.panamacnn.gpu.kernels.ActivationBackward;
import dev.panamacnn.gpu.kernels.AdamUpdate;
import dev.panamacnn.gpu.kernels.ColumnSum;
import dev.panamacnn.gpu.kernels.Col2Im;
import dev.panamacnn.gpu.kernels.ConvGemmForward;
import dev.panamacnn.gpu.kernels.ConvGemmWeightGrad;
import dev.panamacnn.gpu.kernels.SumSlices;
import dev.panamacnn.gpu.kernels.Gemm;
import dev.panamacnn.gpu.kernels.MaxPoolBackward;
import dev.panamacnn.gpu.kernels.MaxPoolForward;
import dev.panamacnn.gpu.kernels.ReduceScalars;
import dev.panamacnn.gpu.kernels.SoftmaxCrossEntropy;
import dev.panamacnn.ops.Reference;
import dev.panamacnn.opencl.ClBuffer;
import dev.panamacnn.opencl.ClContext;
import dev.panamacnn.opencl.ClKernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.panamacnn.gpu.OpenClTestDevice.download;
import static dev.panamacnn.gpu.OpenClTestDevice.relError;
import static dev.panamacnn.gpu.OpenClTestDevice.upload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kernel, translated from Java by Aparapi and run by our OpenCL host runtime, against the engine's scalar
 * reference ({@link Reference}, double accumulation) on random shapes with odd sizes, forward and backward.
 * Tolerance: the largest error divided by the largest reference magnitude must stay below {@value #TOL}
 * (float sums of up to a few thousand terms against double sums); max pooling is exact.
 */
class KernelTest {
    static final double TOL = 2e-5;
    static ClContext ctx;
    static KernelLibrary lib;

    @BeforeAll static void open() {
        ctx = new ClContext(OpenClTestDevice.get());
        lib = new KernelLibrary(ctx);
        System.out.println("OpenCL kernel tests on " + ctx.device().describe());
    }

    @AfterAll static void close() {
        if (ctx != null) ctx.close();
    }

    static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian());
        return a;
    }

    private static ClKernel gemmDims(ClKernel k, int n, int h, int w, int c, int kw, int sh, int sw, int oh, int ow, int f, int kk) {
        return k.set("n", n).set("h", h).set("w", w).set("c", c).set("kw", kw).set("sh", sh).set("sw", sw)
                .set("oh", oh).set("ow", ow).set("f", f).set("kk", kk);
    }

    @Test void conv2dForwardAndBackwardMatchReference() {
        Random r = new Random(1);
        for (int trial = 0; trial < 12; trial++) {
            int kh = 1 + r.nextInt(5), kw = 1 + r.nextInt(5), sh = 1 + r.nextInt(3), sw = 1 + r.nextInt(3);
            int n = 1 + r.nextInt(4), c = 1 + r.nextInt(5), f = 1 + r.nextInt(trial % 3 == 0 ? 80 : 9);   // some past one 64-filter tile
            int h = kh + r.nextInt(9), w = kw + r.nextInt(9);
            int oh = (h - kh) / sh + 1, ow = (w - kw) / sw + 1;
            String shape = String.format("n=%d h=%d w=%d c=%d kernel %dx%d stride %dx%d f=%d", n, h, w, c, kh, kw, sh, sw, f);
            float[] x = random(r, n * h * w * c), kernel = random(r, kh * kw * c * f), bias = random(r, f);
            float[] dy = random(r, n * oh * ow * f);
            int pad = 3;   // kernel and bias sit at an offset inside the parameter buffer, as in a model
            float[] params = new float[pad + kernel.length + bias.length];
            System.arraycopy(kernel, 0, params, pad, kernel.length);
            System.arraycopy(bias, 0, params, pad + kernel.length, f);
            ClBuffer bx = upload(ctx, x, "x"), bp = upload(ctx, params, "params"), bdy = upload(ctx, dy, "dy");
            ClBuffer by = ctx.buffer(dy.length * 4L, "y"), bdx = ctx.buffer(x.length * 4L, "dx"), bg = ctx.buffer(params.length * 4L, "grads");
            int bOff = pad + kernel.length;
            int rows = n * oh * ow, kk = kh * kw * c;
            for (int act : new int[] {Act.LINEAR, Act.RELU}) {
                gemmDims(lib.create(ConvGemmForward.class, "conv"), n, h, w, c, kw, sh, sw, oh, ow, f, kk)
                        .set("in", bx).set("params", bp).set("out", by).set("kOff", pad).set("bOff", bOff).set("act", act).set("hasBias", 1)
                        .launch(Gemm.global(rows, f), new long[] {16, 16});
                float[] expect = Reference.conv2dForward(x, n, h, w, c, kernel, bias, kh, kw, f, sh, sw);
                if (act == Act.RELU) for (int i = 0; i < expect.length; i++) expect[i] = Reference.relu(expect[i]);
                double e = relError(download(ctx, by, expect.length), expect);
                assertTrue(e < TOL, "conv forward act=" + act + " " + shape + ": relative error " + e);
            }
            int slice = 1 + r.nextInt(40), slices = (rows + slice - 1) / slice;   // the split reduction, odd slice sizes
            ClBuffer partial = ctx.buffer((long) slices * (kk + 1) * f * 4, "partial");   // kernel rows, then the bias row
            gemmDims(lib.create(ConvGemmWeightGrad.class, "conv dW"), n, h, w, c, kw, sh, sw, oh, ow, f, kk)
                    .set("in", bx).set("dOut", bdy).set("partial", partial).set("slice", slice)
                    .launch(new long[] {Gemm.global(kk + 1, f)[0], Gemm.global(kk + 1, f)[1], slices}, new long[] {16, 16, 1});
            lib.create(SumSlices.class, "conv dW sum").set("partial", partial).set("out", bg).set("count", (kk + 1) * f).set("stride", (kk + 1) * f).set("slices", slices)
                    .set("outOff", pad).launch((long) (kk + 1) * f, 64);
            ClBuffer dcols = ctx.buffer((long) rows * kk * 4, "dcols");   // dOut W^T, then gathered into dX
            lib.create(Gemm.class, "conv dcols").set("a", bdy).set("b", bp).set("c", dcols).set("m", rows).set("nn", kk).set("k", f)
                    .set("aOff", 0).set("ars", f).set("acs", 1).set("bOff", pad).set("brs", 1).set("bcs", f)
                    .set("cOff", 0).set("ldc", kk).set("biasOff", -1).set("act", Act.LINEAR)
                    .launch(Gemm.global(rows, kk), new long[] {16, 16});
            lib.create(Col2Im.class, "conv dX").set("dcols", dcols).set("dIn", bdx).set("n", n).set("h", h).set("w", w).set("c", c)
                    .set("kh", kh).set("kw", kw).set("sh", sh).set("sw", sw).set("oh", oh).set("ow", ow).set("kk", kk)
                    .launch(x.length, 64);
            float[][] ref = Reference.conv2dBackward(x, n, h, w, c, kernel, kh, kw, f, sh, sw, dy);
            float[] g = download(ctx, bg, params.length);
            float[] dk = java.util.Arrays.copyOfRange(g, pad, pad + kernel.length), db = java.util.Arrays.copyOfRange(g, bOff, bOff + f);
            assertEquals(0f, g[0] + g[1] + g[2], "conv dW wrote outside its slice");
            double ex = relError(download(ctx, bdx, x.length), ref[0]), ek = relError(dk, ref[1]), eb = relError(db, ref[2]);
            assertTrue(ex < TOL && ek < TOL && eb < TOL, "conv backward " + shape + ": dX " + ex + ", dKernel " + ek + ", dBias " + eb);
        }
    }

    @Test void maxPoolForwardAndBackwardMatchReference() {
        Random r = new Random(2);
        for (int trial = 0; trial < 12; trial++) {
            int ph = 1 + r.nextInt(3), pw = 1 + r.nextInt(3);
            int sh = trial % 2 == 0 ? ph : 1 + r.nextInt(3), sw = trial % 2 == 0 ? pw : 1 + r.nextInt(3);   // tiled and overlapping
            int n = 1 + r.nextInt(3), c = 1 + r.nextInt(7), h = ph + r.nextInt(9), w = pw + r.nextInt(9);
            int oh = (h - ph) / sh + 1, ow = (w - pw) / sw + 1;
            String shape = String.format("n=%d h=%d w=%d c=%d pool %dx%d stride %dx%d", n, h, w, c, ph, pw, sh, sw);
            float[] x = random(r, n * h * w * c), dy = random(r, n * oh * ow * c);
            if (trial == 3) java.util.Arrays.fill(x, 0.5f);   // ties everywhere: the first maximum must win
            ClBuffer bx = upload(ctx, x, "x"), bdy = upload(ctx, dy, "dy");
            ClBuffer by = ctx.buffer(dy.length * 4L, "y"), bdx = ctx.buffer(x.length * 4L, "dx"), am = ctx.buffer(dy.length * 4L, "argmax");
            lib.create(MaxPoolForward.class, "pool").set("in", bx).set("out", by).set("argmax", am).set("n", n).set("h", h).set("w", w)
                    .set("c", c).set("ph", ph).set("pw", pw).set("sh", sh).set("sw", sw).set("oh", oh).set("ow", ow).launch(dy.length, 64);
            lib.create(MaxPoolBackward.class, "pool dX").set("dOut", bdy).set("dIn", bdx).set("argmax", am).set("n", n).set("h", h).set("w", w)
                    .set("c", c).set("ph", ph).set("pw", pw).set("sh", sh).set("sw", sw).set("oh", oh).set("ow", ow).launch(x.length, 64);
            assertArrayEquals(Reference.maxPoolForward(x, n, h, w, c, ph, pw, sh, sw), download(ctx, by, dy.length), shape);
            double e = relError(download(ctx, bdx, x.length), Reference.maxPoolBackward(x, n, h, w, c, ph, pw, sh, sw, dy));
            assertTrue(e < 1e-6, "pool backward " + shape + ": " + e);
        }
    }

    @Test void gemmWithEveryTransposeMatchesReference() {
        Random r = new Random(3);
        for (int trial = 0; trial < 16; trial++) {
            int m = 1 + r.nextInt(150), n = 1 + r.nextInt(150), k = 1 + r.nextInt(90);   // 1 to 3 tiles of 64, ragged
            boolean ta = r.nextBoolean(), tb = r.nextBoolean();
            float[] a = random(r, m * k), b = random(r, k * n), bias = random(r, n);
            float[] bb = new float[b.length + n];
            System.arraycopy(b, 0, bb, 0, b.length);
            System.arraycopy(bias, 0, bb, b.length, n);
            boolean withBias = trial % 2 == 0;
            ClBuffer ba = upload(ctx, a, "a"), bbuf = upload(ctx, bb, "b"), bc = ctx.buffer((long) m * n * 4 + 8, "c");
            lib.create(Gemm.class, "gemm").set("a", ba).set("b", bbuf).set("c", bc).set("m", m).set("nn", n).set("k", k)
                    .set("aOff", 0).set("ars", ta ? 1 : k).set("acs", ta ? m : 1)
                    .set("bOff", 0).set("brs", tb ? 1 : n).set("bcs", tb ? k : 1)
                    .set("cOff", 2).set("ldc", n).set("biasOff", withBias ? b.length : -1).set("act", Act.LINEAR)
                    .launch(Gemm.global(m, n), new long[] {16, 16});
            float[] expect = Reference.gemm(ta, tb, m, n, k, a, b);
            if (withBias) for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) expect[i * n + j] += bias[j];
            float[] got = java.util.Arrays.copyOfRange(download(ctx, bc, m * n + 2), 2, m * n + 2);
            double e = relError(got, expect);
            assertTrue(e < TOL, String.format("gemm m=%d n=%d k=%d ta=%b tb=%b bias=%b: %g", m, n, k, ta, tb, withBias, e));
        }
    }

    @Test void activationGradientAndColumnSum() {
        Random r = new Random(4);
        int rows = 37, cols = 23;
        float[] z = random(r, rows * cols), d = random(r, rows * cols);
        for (int act : new int[] {Act.RELU, Act.SIGMOID, Act.TANH}) {
            float[] y = new float[z.length], expect = new float[z.length];
            for (int i = 0; i < z.length; i++) {
                double v = z[i];
                y[i] = (float) (act == Act.RELU ? Math.max(0, v) : act == Act.SIGMOID ? 1 / (1 + Math.exp(-v)) : Math.tanh(v));
                double deriv = act == Act.RELU ? (y[i] > 0 ? 1 : 0) : act == Act.SIGMOID ? y[i] * (1 - y[i]) : 1 - y[i] * y[i];
                expect[i] = (float) (d[i] * deriv);
            }
            ClBuffer by = upload(ctx, y, "y"), bd = upload(ctx, d, "d");
            lib.create(ActivationBackward.class, "act").set("y", by).set("d", bd).set("count", z.length).set("act", act).launch(z.length, 64);
            double e = relError(download(ctx, bd, z.length), expect);
            assertTrue(e < 1e-6, "activation " + act + ": " + e);
        }
        ClBuffer bd = upload(ctx, d, "d"), out = ctx.buffer((cols + 5) * 4L, "sums");
        lib.create(ColumnSum.class, "colsum").set("d", bd).set("out", out).set("rows", rows).set("cols", cols).set("outOff", 5).launch(cols, 64);
        float[] expect = new float[cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) expect[j] += d[i * cols + j];
        assertTrue(relError(java.util.Arrays.copyOfRange(download(ctx, out, cols + 5), 5, cols + 5), expect) < TOL);
    }

    @Test void softmaxCrossEntropyLossAccuracyAndGradient() {
        Random r = new Random(5);
        int n = 29, classes = 10;
        float[] z = random(r, n * classes), y = new float[n * classes];
        for (int i = 0; i < n * classes; i++) z[i] *= 4;
        for (int i = 0; i < n; i++) y[i * classes + r.nextInt(classes)] = 1f;
        ClBuffer bz = upload(ctx, z, "z"), by = upload(ctx, y, "y"), dz = ctx.buffer(z.length * 4L, "dz");
        ClBuffer loss = ctx.buffer(n * 4L, "loss"), correct = ctx.buffer(n * 4L, "correct"), sc = ctx.buffer(16, "scalars");
        lib.create(SoftmaxCrossEntropy.class, "softmax").set("z", bz).set("y", by).set("dz", dz).set("rowLoss", loss).set("rowCorrect", correct)
                .set("n", n).set("classes", classes).set("train", 1).set("hasLabels", 1).set("sparse", 0).set("smoothing", 0f).launch(n, 64);
        lib.create(ReduceScalars.class, "reduce").set("rowLoss", loss).set("rowCorrect", correct).set("scalars", sc).set("n", n).launch(1, 1);
        float[] p = Reference.softmax(z, n, classes);
        assertTrue(relError(download(ctx, bz, z.length), p) < 1e-5, "softmax probabilities");
        float[] expectDz = new float[z.length];
        double expectLoss = 0;
        int expectCorrect = 0;
        for (int s = 0; s < n; s++) {
            int bp = 0, bl = 0;
            for (int j = 0; j < classes; j++) {
                int i = s * classes + j;
                expectDz[i] = (p[i] - y[i]) / n;
                if (y[i] != 0) expectLoss -= Math.log(Math.min(Math.max(p[i], 1e-7), 1 - 1e-7));
                if (p[i] > p[s * classes + bp]) bp = j;
                if (y[i] > y[s * classes + bl]) bl = j;
            }
            if (bp == bl) expectCorrect++;
        }
        assertTrue(relError(download(ctx, dz, z.length), expectDz) < 1e-5, "softmax gradient");
        float[] s = download(ctx, sc, 3);
        assertEquals(expectLoss, s[0], 1e-4 * expectLoss, "loss sum");
        assertEquals(expectCorrect, (int) s[1], "correct count");
        assertEquals(0f, s[2], "non-finite flag cleared");
    }

    @Test void adamMatchesReferenceAndFlagsNonFinite() {
        Random r = new Random(6);
        int n = 1000 + 37;
        float[] p = random(r, n), m = new float[n], v = new float[n];
        ClBuffer bp = upload(ctx, p, "p"), bm = upload(ctx, m, "m"), bv = upload(ctx, v, "v"), sc = ctx.buffer(16, "scalars");
        var adam = new dev.panamacnn.optim.Adam(0.01f);
        for (int t = 1; t <= 3; t++) {
            float[] g = random(r, n);
            ClBuffer bg = upload(ctx, g, "g");
            lib.create(AdamUpdate.class, "adam").set("p", bp).set("g", bg).set("m", bm).set("v", bv).set("scalars", sc).set("count", n)
                    .set("lrT", adam.stepSize(t)).set("b1", 0.9f).set("b2", 0.999f).set("c1", 0.1f).set("c2", 1 - 0.999f).set("eps", 1e-7f)
                    .set("vh", bv).set("ams", 0).set("decay", 1f).set("trainable", bp).set("masked", 0)
                    .launch(n, 256);
            Reference.adam(p, g, m, v, t, 0.01f, 0.9f, 0.999f, 1e-7f);
        }
        assertTrue(relError(download(ctx, bp, n), p) < 1e-6, "Adam parameters");
        assertTrue(relError(download(ctx, bm, n), m) < 1e-5, "Adam m");
        assertTrue(relError(download(ctx, bv, n), v) < 1e-5, "Adam v");
        assertEquals(0f, download(ctx, sc, 3)[2], "no non-finite value yet");
        float[] g = new float[n];
        g[n - 1] = Float.NaN;
        lib.create(AdamUpdate.class, "adam").set("p", bp).set("g", upload(ctx, g, "g")).set("m", bm).set("v", bv).set("scalars", sc).set("count", n)
                .set("lrT", 0.01f).set("b1", 0.9f).set("b2", 0.999f).set("c1", 0.1f).set("c2", 1 - 0.999f).set("eps", 1e-7f)
                .set("vh", bv).set("ams", 0).set("decay", 1f).set("trainable", bp).set("masked", 0).launch(n, 256);
        assertEquals(1f, download(ctx, sc, 3)[2], "a NaN gradient sets the flag");
    }

    @Test void sgdWithMomentumMatchesKerasFormula() {
        Random r = new Random(7);
        int n = 777;
        float[] p = random(r, n), vel = new float[n];
        ClBuffer bp = upload(ctx, p, "p"), bv = upload(ctx, vel, "vel"), sc = ctx.buffer(16, "scalars");
        float lr = 0.05f, momentum = 0.9f;
        for (int t = 0; t < 3; t++) {
            float[] g = random(r, n);
            lib.create(dev.panamacnn.gpu.kernels.SgdUpdate.class, "sgd").set("p", bp).set("g", upload(ctx, g, "g")).set("vel", bv)
                    .set("scalars", sc).set("count", n).set("lr", lr).set("momentum", momentum).set("nesterov", 0).launch(n, 256);
            for (int i = 0; i < n; i++) {
                vel[i] = momentum * vel[i] - lr * g[i];
                p[i] = p[i] + vel[i];
            }
        }
        assertTrue(relError(download(ctx, bp, n), p) < 1e-6, "SGD parameters");
        assertTrue(relError(download(ctx, bv, n), vel) < 1e-6, "SGD velocity");
        assertEquals(0f, download(ctx, sc, 3)[2], "no non-finite value");
    }
}
