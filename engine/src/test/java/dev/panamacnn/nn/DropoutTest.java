package dev.panamacnn.nn;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.data.SyntheticDigits;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dropout as Keras defines it (keras.layers.Dropout: "randomly sets input units to 0 with a frequency of rate at
 * each step during training time ... inputs not set to 0 are scaled up by 1 / (1 - rate) such that the sum over all
 * inputs is unchanged"; at inference the layer does nothing), with masks keyed by (seed, step, sample, element).
 */
class DropoutTest {
    @Test void dropsAboutRateScalesTheRestAndPassesThroughAtInference() {
        try (LayerHarness h = new LayerHarness(new Dropout(0.3f, 5), Shape.of(1000), 50, 2, 3)) {
            float[] in = LayerHarness.get(h.in, h.n * h.inSize);
            h.forward(true, 1);
            float[] out = LayerHarness.get(h.out, h.n * h.outSize);
            int dropped = 0;
            for (int i = 0; i < in.length; i++) {
                if (out[i] == 0f && in[i] != 0f) dropped++;
                else assertEquals(in[i] / 0.7f, out[i], 1e-6f * Math.abs(in[i]) + 1e-7f, "kept element " + i + " scaled by 1/(1-rate)");
            }
            double frac = (double) dropped / in.length;
            assertTrue(Math.abs(frac - 0.3) < 0.01, "dropped fraction " + frac + " of 50,000, rate 0.3");
            h.forward(false, 1);
            assertArrayEquals(in, LayerHarness.get(h.out, h.n * h.outSize), 0f, "inference passes the input through");
        }
    }

    /** The vector path draws exactly the scalar reference's masks, on sizes that leave tails (random shapes). */
    @Test void theVectorPathMatchesTheScalarReference() {
        dev.panamacnn.runtime.Rng r = new dev.panamacnn.runtime.Rng(4);
        boolean saved = Dropout.VECTOR;
        try {
            for (int t = 0; t < 6; t++) {
                int per = 1 + r.nextInt(300), n = 1 + r.nextInt(20);
                float rate = 0.05f + 0.9f * (float) r.nextDouble();
                float[][] got = new float[2][];
                for (int v = 0; v < 2; v++) {
                    Dropout.VECTOR = v == 1;
                    try (LayerHarness h = new LayerHarness(new Dropout(rate, t), Shape.of(per), n, 2, 3)) {
                        h.forward(true, 7 + t);
                        got[v] = LayerHarness.get(h.out, n * per);
                    }
                }
                assertArrayEquals(got[0], got[1], 0f, "per " + per + ", n " + n + ", rate " + rate);
            }
        } finally {
            Dropout.VECTOR = saved;
        }
    }

    @Test void theMaskDependsOnTheStepAndOnNothingElse() {
        float[] a, b, c;
        try (LayerHarness h = new LayerHarness(new Dropout(0.5f, 9), Shape.of(64), 8, 1, 3)) {
            h.forward(true, 4); a = LayerHarness.get(h.out, 512);
            h.forward(true, 5); b = LayerHarness.get(h.out, 512);
        }
        try (LayerHarness h = new LayerHarness(new Dropout(0.5f, 9), Shape.of(64), 8, 3, 3)) {
            h.forward(true, 4); c = LayerHarness.get(h.out, 512);
        }
        assertArrayEquals(a, c, 0f, "same step, other thread count: the same mask");
        assertFalse(java.util.Arrays.equals(a, b), "another step draws another mask");
    }

    static Sequential model() {
        Sequential m = new Sequential(
                new Conv2D(4, 5, 5, Activation.RELU, Shape.of(28, 28, 1)), new MaxPool2D(2, 2), new Flatten(),
                new Dropout(0.5f), new Dense(10, Activation.SOFTMAX)).seed(3).threads(2);
        m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        return m;
    }

    /** A network with Dropout, stopped after 7 steps and resumed from its checkpoint: bit-identical to a straight run. */
    @Test void resumeIsBitIdenticalWithDropoutInTheNetwork(@TempDir Path dir) throws Exception {
        SyntheticDigits.write(dir.resolve("data"), 400, 10, 4);
        Mnist data = Mnist.load(dir.resolve("data"), false, w -> {});
        BackendContract.resumeIsBitIdentical("CPU", DropoutTest::model, data.train(), m -> ((Sequential) m).cpu(), dir.resolve("ckpt"));
    }
}
