package dev.panamacnn.nn;

import dev.panamacnn.data.Dataset;
import dev.panamacnn.exec.Backend;
import dev.panamacnn.exec.Model;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.train.Callback;
import dev.panamacnn.train.EvalResult;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.train.History;
import dev.panamacnn.train.TrainingStopped;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole-model checks every device backend gets (the OpenCL and TornadoVM tests call them with their own
 * backend): the loss curve of a training run against the CPU engine's, and a stop-and-resume through checkpoints that
 * ends bit-identical to an uninterrupted run on the same backend.
 */
public final class BackendContract {
    private BackendContract() {}

    /**
     * The tutorial network's layer types, smaller, compiled with {@code optimizer}: a strided conv after a pool and an
     * overlapping pool, so every kernel path of a backend runs.
     */
    public static Sequential smallTutorialModel(dev.panamacnn.optim.Optimizer optimizer) {
        Sequential m = new Sequential(
                new Conv2D(6, 5, 5, dev.panamacnn.activations.Activation.RELU, Shape.of(28, 28, 1)),
                new MaxPool2D(2, 2),
                new Conv2D(12, 3, 3, 2, 2, dev.panamacnn.activations.Activation.TANH, null),
                new MaxPool2D(2, 2, 1, 1),
                new Flatten(),
                new Dense(48, dev.panamacnn.activations.Activation.RELU),
                new Dense(10, dev.panamacnn.activations.Activation.SOFTMAX)).seed(11).threads(2);
        m.compile(optimizer, dev.panamacnn.loss.Loss.CATEGORICAL_CROSSENTROPY, dev.panamacnn.loss.Metric.ACCURACY);
        return m;
    }

    /** Samples {@code [from, from + n)} of {@code t}, copied. */
    public static Tensor batch(Tensor t, int from, int n) {
        int per = t.shape().size() / t.shape().dim(0);
        int[] dims = t.shape().dims().clone();
        dims[0] = n;
        Tensor b = Tensor.allocate(Arena.ofAuto(), Shape.of(dims));
        MemorySegment.copy(t.segment(), (long) from * per * 4, b.segment(), 0, (long) n * per * 4);
        return b;
    }

    /** Sum of absolute differences over sum of absolute values of {@code expected}. */
    public static double relError(float[] actual, float[] expected) {
        double num = 0, den = 0;
        for (int i = 0; i < actual.length; i++) { num += Math.abs(actual[i] - expected[i]); den += Math.abs(expected[i]); }
        return num / Math.max(den, 1e-12);
    }

    /**
     * {@code steps} steps of batch {@code bs} on the same batches: the backend's loss curve follows the CPU engine's.
     * Tolerance: every step's loss within 0.05 + 5% of the CPU's, the mean absolute difference below 0.01; then the test
     * accuracy within a point and the predicted probabilities within 2%.
     */
    public static void followsCpuLossCurve(String name, Supplier<Sequential> model, Dataset train, Dataset test, Function<Model, Backend> make,
                                           int steps, int bs) {
        int total = train.size();
        try (Sequential cpu = model.get(); Sequential dev = model.get(); Backend b = make.apply(dev)) {
            dev.accelerate(b);
            double sumDiff = 0, maxDiff = 0;
            double[] lc = new double[steps], lg = new double[steps];
            for (int s = 0; s < steps; s++) {
                int from = (s * bs) % (total - bs);
                Tensor x = batch(train.x(), from, bs), y = batch(train.y(), from, bs);
                lc[s] = cpu.trainOnBatch(x, y).loss();
                lg[s] = dev.trainOnBatch(x, y).loss();
                double d = Math.abs(lc[s] - lg[s]);
                sumDiff += d;
                maxDiff = Math.max(maxDiff, d);
                assertTrue(d <= 0.05 + 0.05 * lc[s], String.format(Locale.ROOT, "step %d: CPU loss %.5f, %s loss %.5f", s + 1, lc[s], name, lg[s]));
            }
            System.out.printf(Locale.ROOT, "loss curve over %d steps: CPU %.4f -> %.4f, %s %.4f -> %.4f, mean |diff| %.2e, max %.2e%n",
                    steps, lc[0], lc[steps - 1], name, lg[0], lg[steps - 1], sumDiff / steps, maxDiff);
            assertTrue(sumDiff / steps < 0.01, "mean loss difference " + sumDiff / steps);
            assertTrue(lg[steps - 1] < 0.5 * lg[0], "the " + name + " run learns");
            EvalResult ec = cpu.evaluate(test), eg = dev.evaluate(test);
            System.out.println("test set after " + steps + " steps: CPU " + ec + ", " + name + " " + eg);
            assertEquals(ec.accuracy(), eg.accuracy(), 0.01, "test accuracy");
            Tensor pc = cpu.predict(test.x()), pg = dev.predict(test.x());
            double e = relError(pg.toArray(), pc.toArray());
            assertTrue(e < 0.02, "predicted probabilities differ by " + e);
        }
    }

    /**
     * Checkpoints written while training on the backend hold its weights and optimizer state: stopping after 7 steps
     * and resuming on a fresh backend ends bit-identical to an uninterrupted run on the backend (its kernels must
     * reduce in a fixed order).
     */
    public static void resumeIsBitIdentical(String name, Supplier<Sequential> model, Dataset train, Function<Model, Backend> make, Path ckpt) {
        FitOptions.Builder base = FitOptions.builder().batchSize(40).epochs(2).verbose(false);
        float[] straight;
        try (Sequential dev = model.get(); Backend b = make.apply(dev)) {
            dev.accelerate(b);
            dev.fit(train, base.build());
            straight = dev.parameters().toArray(ValueLayout.JAVA_FLOAT);
        }
        TrainingStopped stop = new TrainingStopped();
        int[] steps = {0};
        Callback stopAfter7 = new Callback() {
            @Override public void onBatchEnd(int epoch, int step, Map<String, Double> logs) {
                if (++steps[0] == 7) stop.request();
            }
        };
        try (Sequential dev = model.get(); Backend b = make.apply(dev)) {
            dev.accelerate(b);
            History h = dev.fit(train, base.checkpoint(ckpt, 0).stopOn(stop).callback(stopAfter7).build());
            assertTrue(h.stopped(), "the first run stops");
        }
        try (Sequential dev = model.get(); Backend b = make.apply(dev)) {
            dev.accelerate(b);
            dev.fit(train, FitOptions.builder().batchSize(40).epochs(2).verbose(false).checkpoint(ckpt, 0).resume(true).build());
            assertArrayEquals(straight, dev.parameters().toArray(ValueLayout.JAVA_FLOAT), 0f, "resumed " + name + " run vs uninterrupted " + name + " run");
        }
    }
}
