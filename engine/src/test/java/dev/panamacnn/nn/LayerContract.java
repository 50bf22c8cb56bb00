package dev.panamacnn.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamacnn.activations.Activation;
import dev.panamacnn.exec.Backend;
import dev.panamacnn.exec.Model;
import dev.panamacnn.exec.StepResult;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one test every layer gets, like Keras' {@code run_layer_test}: {@link #check} runs the CPU checks (config
 * round trip through the registry, output shape, finite differences of the backward pass w.r.t. inputs and
 * parameters, bit-identical results on 1 and 3 threads), {@link #checkBackend} the same layer inside a small model on
 * another backend against the CPU engine. A new layer's test is one line per configuration.
 */
public final class LayerContract {
    private LayerContract() {}

    static final ObjectMapper JSON = new ObjectMapper();

    /** Every CPU check of the layer that {@code make} makes, on samples of shape {@code input}. */
    public static void check(String what, Supplier<Layer> make, Shape input) {
        configRoundTrip(what, make, input);
        finiteDifferences(what, make, input);
        threadInvariance(what, make, input);
    }

    /** The layer's config, written and read back through {@link LayerRegistry}, describes the same layer. */
    public static void configRoundTrip(String what, Supplier<Layer> make, Shape input) {
        Layer a = make.get();
        Shape out = a.build("layer", input);
        JsonNode json = JSON.valueToTree(a.config());
        assertEquals("layer", json.path("name").asText(), what + ": the config starts with the name");
        Layer b = LayerRegistry.fromConfig("test", a.kerasClassName(), json);
        assertEquals(a.getClass(), b.getClass(), what);
        assertEquals(out, b.build("layer", input), what + ": output shape after the round trip");
        assertEquals(json, JSON.valueToTree(b.config()), what + ": config after the round trip");
        assertEquals(a.paramSpecs(), b.paramSpecs(), what + ": parameters after the round trip");
    }

    /**
     * For {@code L = sum(out * R)} with random R, the analytic gradients w.r.t. inputs and parameters match central
     * differences of the forward pass, on 1 and 3 threads.
     */
    public static void finiteDifferences(String what, Supplier<Layer> make, Shape input) {
        for (int threads : new int[] {1, 3}) {
            try (LayerHarness h = new LayerHarness(make.get(), input, 3, threads, 7)) {
                Rng r = new Rng(99);
                float[] upstream = new float[h.n * h.outSize];
                for (int i = 0; i < upstream.length; i++) upstream[i] = (float) r.nextGaussian();
                h.forward();
                h.backward(upstream, true);
                float[] dIn = LayerHarness.get(h.dIn, h.n * h.inSize);
                float[] dParams = LayerHarness.get(h.grads, h.paramCount);
                if (!h.layer.isView()) difference(what + " input", h, h.in, h.n * h.inSize, dIn, upstream, r);
                if (h.paramCount > 0) difference(what + " params", h, h.params, h.paramCount, dParams, upstream, r);
            }
        }
    }

    private static double loss(LayerHarness h, float[] upstream) {
        h.forward();
        MemorySegment out = h.layer.isView() ? h.in : h.out;
        double s = 0;
        for (int i = 0; i < upstream.length; i++) s += (double) out.getAtIndex(LayerHarness.F, i) * upstream[i];
        return s;
    }

    /**
     * Central differences at up to 40 elements. An element where the two one-sided slopes disagree sits on a kink
     * (ReLU's 0, a max pooling's tie, a clip's edge) where the function has no derivative; it is skipped, and at most a
     * quarter of the elements may be.
     */
    private static void difference(String what, LayerHarness h, MemorySegment x, int size, float[] analytic, float[] upstream, Rng r) {
        double eps = 1e-2;
        int checks = Math.min(size, 40), skipped = 0;
        for (int c = 0; c < checks; c++) {
            int i = size <= 40 ? c : r.nextInt(size);
            float orig = x.getAtIndex(LayerHarness.F, i);
            double l0 = loss(h, upstream);
            x.setAtIndex(LayerHarness.F, i, (float) (orig + eps));
            double lp = loss(h, upstream);
            x.setAtIndex(LayerHarness.F, i, (float) (orig - eps));
            double lm = loss(h, upstream);
            x.setAtIndex(LayerHarness.F, i, orig);
            double numeric = (lp - lm) / (2 * eps), right = (lp - l0) / eps, left = (l0 - lm) / eps;
            if (Math.abs(right - left) > 2e-3 + 0.1 * Math.max(Math.abs(right), Math.abs(left))) { skipped++; continue; }
            double err = Math.abs(numeric - analytic[i]);
            assertTrue(err <= 2e-3 + 2e-2 * Math.abs(numeric), what + "[" + i + "]: analytic " + analytic[i] + " vs numeric " + numeric);
        }
        assertTrue(skipped * 4 <= checks, what + ": " + skipped + " of " + checks + " elements sit on kinks; pick other inputs");
    }

    /** Forward outputs, input gradients and parameter gradients are the same bits on 1 and 3 threads, batch 19. */
    public static void threadInvariance(String what, Supplier<Layer> make, Shape input) {
        List<float[]> first = null;
        for (int threads : new int[] {1, 3}) {
            try (LayerHarness h = new LayerHarness(make.get(), input, 19, threads, 11)) {
                Rng r = new Rng(5);
                float[] upstream = new float[h.n * h.outSize];
                for (int i = 0; i < upstream.length; i++) upstream[i] = (float) r.nextGaussian();
                h.forward();
                List<float[]> got = new ArrayList<>();
                got.add(LayerHarness.get(h.layer.isView() ? h.in : h.out, h.n * h.outSize));
                h.backward(upstream, true);
                got.add(LayerHarness.get(h.dIn, h.n * h.inSize));
                got.add(LayerHarness.get(h.grads, h.paramCount));
                if (first == null) first = got;
                else for (int k = 0; k < got.size(); k++) assertArrayEquals(first.get(k), got.get(k), 0f, what + ": 1 vs 3 threads, part " + k);
            }
        }
    }

    /** A small model around the layer: the input, the layer, Flatten if needed, and a 4-class softmax. */
    public static Sequential modelAround(Supplier<Layer> make, Shape input, long seed) {
        Layer l = make.get();
        Sequential m = new Sequential(new InputLayer(input), l);
        Shape out = l.build("probe", input);
        if (out.rank() > 1) m.add(new Flatten());
        m.add(new Dense(4, Activation.SOFTMAX));
        return m.seed(seed).threads(2);
    }

    /**
     * The layer trains the same on {@code backend} as on the CPU engine: a small model around it, 6 Adam steps on the
     * same random batches of 8; every step's loss and the final parameters and predictions agree within {@code tol}
     * (relative, on the largest magnitude).
     */
    public static void checkBackend(String what, Supplier<Layer> make, Shape input, Function<Model, Backend> backend, double tol) {
        try (Arena arena = Arena.ofConfined(); Sequential cpu = modelAround(make, input, 3); Sequential dev = modelAround(make, input, 3)) {
            cpu.compile(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            dev.compile(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            int n = 8;
            Tensor x = Tensor.allocate(arena, Shape.of(prepend(n, input.dims()))), y = Tensor.allocate(arena, Shape.of(n, 4));
            Rng r = new Rng(17);
            try (Backend b = backend.apply(dev)) {
                dev.accelerate(b);
                for (int step = 0; step < 6; step++) {
                    for (int i = 0; i < x.size(); i++) x.set(i, (float) r.nextGaussian());
                    y.segment().fill((byte) 0);
                    for (int i = 0; i < n; i++) y.set(i * 4L + r.nextInt(4), 1f);
                    StepResult a = cpu.trainOnBatch(x, y), c = dev.trainOnBatch(x, y);
                    assertEquals(a.loss(), c.loss(), tol * Math.max(1, Math.abs(a.loss())), what + ": loss at step " + step + " on " + b.description());
                    assertEquals(a.correct(), c.correct(), what + ": correct count at step " + step);
                }
                close(cpu.predict(x).toArray(), dev.predict(x).toArray(), tol, what + ": predictions");
                dev.syncFromDevice();
                close(cpu.parameters().toArray(ValueLayout.JAVA_FLOAT), dev.parameters().toArray(ValueLayout.JAVA_FLOAT), tol, what + ": parameters");
                dev.accelerate(null);
            }
        }
    }

    private static int[] prepend(int n, int[] d) {
        int[] r = new int[d.length + 1];
        r[0] = n;
        System.arraycopy(d, 0, r, 1, d.length);
        return r;
    }

    private static void close(float[] a, float[] b, double tol, String what) {
        assertEquals(a.length, b.length, what);
        double max = 1e-6;
        for (float v : a) max = Math.max(max, Math.abs(v));
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], tol * max, what + "[" + i + "]");
    }
}
