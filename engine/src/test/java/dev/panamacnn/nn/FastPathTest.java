package dev.panamacnn.nn;

import dev.panamacnn.activations.Activation;

import dev.panamacnn.ops.Reference;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every layer's vectorized, multithreaded forward and backward against the scalar reference, on random shapes. */
class FastPathTest {

    static void close(float[] expect, float[] actual, double tol, String what) {
        assertEquals(expect.length, actual.length, what + ": length");
        for (int i = 0; i < expect.length; i++) {
            if (Math.abs(expect[i] - actual[i]) > tol * (1 + Math.abs(expect[i]))) {
                throw new AssertionError(what + " at " + i + ": expected " + expect[i] + " got " + actual[i]);
            }
        }
    }

    static float[] rand(Rng r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    @Test
    void conv2dMatchesReference() {
        Rng r = new Rng(11);
        for (int trial = 0; trial < 24; trial++) {
            int kh = 1 + r.nextInt(5), kw = 1 + r.nextInt(5), sh = 1 + r.nextInt(2), sw = 1 + r.nextInt(2);
            int h = kh + r.nextInt(12), w = kw + r.nextInt(12), c = 1 + r.nextInt(5), f = 1 + r.nextInt(40);
            int n = 1 + r.nextInt(37), threads = 1 + r.nextInt(3);
            checkConv(r, trial, kh, kw, sh, sw, h, w, c, f, n, threads);
        }
    }

    /** One input channel, stride 1 along x, at least 8 output columns: the im2col-free path (DirectConv). */
    @Test
    void singleChannelConv2dMatchesReference() {
        Rng r = new Rng(12);
        int[] filters = {1, 7, 32, 33, 64, 70};
        for (int trial = 0; trial < 18; trial++) {
            int kh = 1 + r.nextInt(6), kw = 1 + r.nextInt(6), sh = 1 + r.nextInt(3);
            int h = kh + r.nextInt(20), w = kw + 7 + r.nextInt(20), f = filters[trial % filters.length];
            int n = 1 + r.nextInt(20), threads = 1 + r.nextInt(3);
            checkConv(r, trial, kh, kw, sh, 1, h, w, 1, f, n, threads);
        }
    }

    /** Channels a multiple of 32 and output rows a multiple of 8: the input gradient is added straight into the image. */
    @Test
    void multiChannelConv2dMatchesReference() {
        Rng r = new Rng(13);
        for (int trial = 0; trial < 8; trial++) {
            int kh = 1 + r.nextInt(5), kw = 1 + r.nextInt(5), sh = 1 + r.nextInt(2), sw = 1 + r.nextInt(2);
            int ow = 8 * (1 + r.nextInt(2)), oh = 1 + r.nextInt(9);
            int w = (ow - 1) * sw + kw, h = (oh - 1) * sh + kh, c = 32 * (1 + r.nextInt(2)), f = 1 + r.nextInt(70);
            int n = 1 + r.nextInt(9), threads = 1 + r.nextInt(3);
            checkConv(r, trial, kh, kw, sh, sw, h, w, c, f, n, threads);
        }
    }

    /** Whole 8-pixel output rows and 32-filter panels, with channel counts that do and do not fill a vector (the packing from the image). */
    @Test
    void wholeTileConv2dMatchesReference() {
        Rng r = new Rng(14);
        int[] channels = {2, 8, 3, 16, 17, 32, 64, 24};
        for (int trial = 0; trial < 16; trial++) {
            int kh = 1 + r.nextInt(5), kw = 1 + r.nextInt(5), sh = 1 + r.nextInt(2), sw = trial % 2 == 1 ? 1 : 1 + r.nextInt(2);
            int ow = 8 * (1 + r.nextInt(2)), oh = 1 + r.nextInt(9);
            int w = (ow - 1) * sw + kw, h = (oh - 1) * sh + kh, c = channels[trial % channels.length], f = 32 * (1 + r.nextInt(2));
            int n = 1 + r.nextInt(9), threads = 1 + r.nextInt(3);
            checkConv(r, trial, kh, kw, sh, sw, h, w, c, f, n, threads);
        }
    }

    static void checkConv(Rng r, int trial, int kh, int kw, int sh, int sw, int h, int w, int c, int f, int n, int threads) {
        {
            Activation act = r.nextInt(2) == 0 ? Activation.RELU : Activation.LINEAR;
            String what = "conv h=" + h + " w=" + w + " c=" + c + " f=" + f + " k=" + kh + "x" + kw + " s=" + sh + "x" + sw + " n=" + n + " t=" + threads;
            try (LayerHarness hh = new LayerHarness(new Conv2D(f, kh, kw, sh, sw, act, null), Shape.of(h, w, c), n, threads, trial)) {
                float[] x = LayerHarness.get(hh.in, n * hh.inSize);
                float[] p = LayerHarness.get(hh.params, hh.paramCount);
                int ks = kh * kw * c * f;
                float[] kernel = java.util.Arrays.copyOf(p, ks), bias = java.util.Arrays.copyOfRange(p, ks, ks + f);
                float[] pre = Reference.conv2dForward(x, n, h, w, c, kernel, bias, kh, kw, f, sh, sw);
                float[] expectOut = pre.clone();
                if (act == Activation.RELU) for (int i = 0; i < expectOut.length; i++) expectOut[i] = Reference.relu(expectOut[i]);
                hh.forward();
                close(expectOut, LayerHarness.get(hh.out, n * hh.outSize), 1e-4, what + " forward");

                float[] dy = rand(r, n * hh.outSize);
                float[] dyPre = dy.clone();
                if (act == Activation.RELU) for (int i = 0; i < dyPre.length; i++) if (pre[i] <= 0) dyPre[i] = 0;
                float[][] ref = Reference.conv2dBackward(x, n, h, w, c, kernel, kh, kw, f, sh, sw, dyPre);
                hh.backward(dy, true);
                close(ref[0], LayerHarness.get(hh.dIn, n * hh.inSize), 1e-4, what + " dx");
                float[] g = LayerHarness.get(hh.grads, hh.paramCount);
                close(ref[1], java.util.Arrays.copyOf(g, ks), 1e-4, what + " dkernel");
                close(ref[2], java.util.Arrays.copyOfRange(g, ks, ks + f), 1e-4, what + " dbias");
            }
        }
    }

    @Test
    void maxPoolMatchesReference() {
        Rng r = new Rng(12);
        for (int trial = 0; trial < 34; trial++) {
            int ph = 1 + r.nextInt(3), pw = 1 + r.nextInt(3), sh = 1 + r.nextInt(3), sw = 1 + r.nextInt(3);
            int h = ph + r.nextInt(10), w = pw + r.nextInt(10), c = 1 + r.nextInt(33), n = 1 + r.nextInt(20), threads = 1 + r.nextInt(3);
            if (trial >= 24) {   // windows that tile the input exactly (the vectorized backward), many channels
                sh = ph; sw = pw; h = ph * (1 + r.nextInt(6)); w = pw * (1 + r.nextInt(6)); c = 16 + r.nextInt(40);
            }
            String what = "pool h=" + h + " w=" + w + " c=" + c + " p=" + ph + "x" + pw + " s=" + sh + "x" + sw + " n=" + n;
            try (LayerHarness hh = new LayerHarness(new MaxPool2D(ph, pw, sh, sw), Shape.of(h, w, c), n, threads, trial)) {
                float[] x = LayerHarness.get(hh.in, n * hh.inSize);
                hh.forward();
                assertArrayEquals(Reference.maxPoolForward(x, n, h, w, c, ph, pw, sh, sw), LayerHarness.get(hh.out, n * hh.outSize), 0f, what);
                float[] dy = rand(r, n * hh.outSize);
                hh.backward(dy, true);
                close(Reference.maxPoolBackward(x, n, h, w, c, ph, pw, sh, sw, dy), LayerHarness.get(hh.dIn, n * hh.inSize), 1e-6, what + " dx");
            }
        }
    }

    /** 2 x 2, stride 2 pooling over whole vectors of channels (one loop per output row), with many ties. */
    @Test
    void maxPool2x2OverWholeVectorsMatchesReference() {
        Rng r = new Rng(21);
        int[] channels = {16, 32, 48, 64};
        for (int trial = 0; trial < 12; trial++) {
            int c = channels[trial % channels.length], h = 2 + r.nextInt(9), w = 2 + r.nextInt(9), n = 1 + r.nextInt(6);
            int threads = 1 + r.nextInt(3);
            String what = "pool 2x2 h=" + h + " w=" + w + " c=" + c + " n=" + n;
            try (LayerHarness hh = new LayerHarness(new MaxPool2D(2, 2), Shape.of(h, w, c), n, threads, trial)) {
                // coarse values: equal maxima in most windows, so the first-of-equals rule is tested
                for (long i = 0; i < (long) n * hh.inSize; i++) hh.in.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (r.nextInt(4) - 1) / 2f);
                float[] x = LayerHarness.get(hh.in, n * hh.inSize);
                hh.forward();
                assertArrayEquals(Reference.maxPoolForward(x, n, h, w, c, 2, 2, 2, 2), LayerHarness.get(hh.out, n * hh.outSize), 0f, what);
                float[] dy = rand(r, n * hh.outSize);
                hh.backward(dy, true);
                assertArrayEquals(Reference.maxPoolBackward(x, n, h, w, c, 2, 2, 2, 2, dy), LayerHarness.get(hh.dIn, n * hh.inSize), 0f, what + " dx");
            }
        }
    }

    @Test
    void denseMatchesReference() {
        Rng r = new Rng(13);
        for (int trial = 0; trial < 20; trial++) {
            int in = 1 + r.nextInt(300), out = 1 + r.nextInt(200), n = 1 + r.nextInt(70), threads = 1 + r.nextInt(3);
            Activation act = trial % 3 == 0 ? Activation.RELU : trial % 3 == 1 ? Activation.LINEAR : Activation.TANH;
            String what = "dense in=" + in + " out=" + out + " n=" + n + " " + act;
            try (LayerHarness hh = new LayerHarness(new Dense(out, act), Shape.of(in), n, threads, trial)) {
                float[] x = LayerHarness.get(hh.in, n * in);
                float[] p = LayerHarness.get(hh.params, hh.paramCount);
                float[] kernel = java.util.Arrays.copyOf(p, in * out), bias = java.util.Arrays.copyOfRange(p, in * out, in * out + out);
                float[] pre = Reference.denseForward(x, n, in, kernel, bias, out);
                float[] expectOut = new float[pre.length];
                for (int i = 0; i < pre.length; i++) {
                    expectOut[i] = act == Activation.RELU ? Reference.relu(pre[i]) : act == Activation.TANH ? (float) Math.tanh(pre[i]) : pre[i];
                }
                hh.forward();
                close(expectOut, LayerHarness.get(hh.out, n * out), 1e-4, what + " forward");
                float[] dy = rand(r, n * out), dyPre = dy.clone();
                for (int i = 0; i < dy.length; i++) {
                    if (act == Activation.RELU && pre[i] <= 0) dyPre[i] = 0;
                    if (act == Activation.TANH) dyPre[i] = dy[i] * (1 - expectOut[i] * expectOut[i]);
                }
                float[][] ref = Reference.denseBackward(x, n, in, kernel, out, dyPre);
                hh.backward(dy, true);
                close(ref[0], LayerHarness.get(hh.dIn, n * in), 1e-3, what + " dx");
                float[] g = LayerHarness.get(hh.grads, hh.paramCount);
                close(ref[1], java.util.Arrays.copyOf(g, in * out), 1e-3, what + " dkernel");
                close(ref[2], java.util.Arrays.copyOfRange(g, in * out, in * out + out), 1e-3, what + " dbias");
            }
        }
    }

    @Test
    void softmaxMatchesReference() {
        Rng r = new Rng(14);
        int n = 9, in = 5, classes = 13;
        try (LayerHarness hh = new LayerHarness(new Dense(classes, Activation.SOFTMAX), Shape.of(in), n, 2, 1)) {
            float[] x = LayerHarness.get(hh.in, n * in);
            float[] p = LayerHarness.get(hh.params, hh.paramCount);
            float[] logits = Reference.denseForward(x, n, in, java.util.Arrays.copyOf(p, in * classes),
                    java.util.Arrays.copyOfRange(p, in * classes, in * classes + classes), classes);
            hh.forward();
            close(Reference.softmax(logits, n, classes), LayerHarness.get(hh.out, n * classes), 1e-5, "softmax");
        }
    }
}
