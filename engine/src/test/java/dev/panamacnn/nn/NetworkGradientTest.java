package dev.panamacnn.nn;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.models.Sequential;

import dev.panamacnn.loss.Loss;
import dev.panamacnn.optim.SGD;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole network (conv, pool, conv, pool, flatten, dense, softmax + cross-entropy) on a tiny batch: the
 * parameter gradients from one step must match central differences of the mean loss.
 */
class NetworkGradientTest {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @Test
    void fullNetworkGradientMatchesFiniteDifferences() {
        try (Arena arena = Arena.ofConfined();
             Sequential model = new Sequential(
                     new Conv2D(3, 3, 3, Activation.RELU, Shape.of(10, 10, 1)),
                     new MaxPool2D(2, 2),
                     new Conv2D(4, 2, 2, Activation.RELU),
                     new MaxPool2D(2, 2),
                     new Flatten(),
                     new Dense(6, Activation.RELU),
                     new Dense(3, Activation.SOFTMAX)).seed(3).threads(2)) {
            // a tiny learning rate so the step itself barely moves the weights; gradients are read after it
            model.compile(new SGD(1e-30f), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            int n = 4;
            Rng r = new Rng(5);
            Tensor x = Tensor.allocate(arena, Shape.of(n, 10, 10, 1));
            Tensor y = Tensor.allocate(arena, Shape.of(n, 3));
            for (int i = 0; i < x.size(); i++) x.set(i, r.nextFloat());
            for (int i = 0; i < n; i++) y.set(i * 3L + r.nextInt(3), 1f);
            MemorySegment p = model.parameters();
            // move every parameter off its initial value (biases start at exactly 0, which puts dead ReLUs on a kink)
            for (long i = 0; i < model.paramCount(); i++) p.setAtIndex(F, i, p.getAtIndex(F, i) + (float) (0.1 * r.nextGaussian()));
            model.trainOnBatch(x, y);
            float[] g = new float[(int) model.paramCount()];
            MemorySegment.copy(model.gradients(), F, 0, g, 0, g.length);
            double eps = 1e-3;
            for (int c = 0; c < 60; c++) {
                int i = r.nextInt(g.length);
                float orig = p.getAtIndex(F, i);
                p.setAtIndex(F, i, (float) (orig + eps));
                double lp = model.evaluate(new dev.panamacnn.data.Dataset(x, y), n).loss();
                p.setAtIndex(F, i, (float) (orig - eps));
                double lm = model.evaluate(new dev.panamacnn.data.Dataset(x, y), n).loss();
                p.setAtIndex(F, i, orig);
                double numeric = (lp - lm) / (2 * eps);
                assertTrue(Math.abs(numeric - g[i]) <= 2e-3 + 3e-2 * Math.abs(numeric),
                        "param " + i + ": analytic " + g[i] + " vs numeric " + numeric);
            }
        }
    }
}
