package dev.panamacnn.nn;

import dev.panamacnn.models.Sequential;

import dev.panamacnn.loss.Loss;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The per-op parts that OpBenchmark measures are the whole training step, in order: running them all is a step. */
class StepPartsTest {
    @Test void runningEveryPartInOrderIsOneTrainingStep() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 9;
            Tensor x = Tensor.allocate(arena, Shape.of(n, 28, 28, 1)), y = Tensor.allocate(arena, Shape.of(n, 10));
            Rng r = new Rng(3);
            for (int i = 0; i < x.size(); i++) x.set(i, r.nextFloat());
            for (int i = 0; i < n; i++) y.set(i * 10L + r.nextInt(10), 1f);
            try (Sequential a = TrainingTest.smallCnn(5, 2); Sequential b = TrainingTest.smallCnn(5, 2)) {
                a.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                b.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                a.trainOnBatch(x, y);
                a.trainOnBatch(x, y);
                var parts = b.stepParts(x, y);   // runs one step itself
                assertEquals(List.of("conv2d forward", "max_pooling2d forward", "conv2d_1 forward", "max_pooling2d_1 forward",
                        "dense forward", "dense_1 forward", "softmax+loss", "dense_1 backward", "dense backward",
                        "max_pooling2d_1 backward", "conv2d_1 backward", "max_pooling2d backward", "conv2d backward", "Adam update"),
                        List.copyOf(parts.keySet()));
                parts.values().forEach(Runnable::run);   // the second step
                assertArrayEquals(floats(a.parameters(), a.paramCount()), floats(b.parameters(), b.paramCount()), 0f);
            }
        }
    }

    private static float[] floats(MemorySegment s, long n) {
        float[] f = new float[(int) n];
        MemorySegment.copy(s, ValueLayout.JAVA_FLOAT, 0, f, 0, f.length);
        return f;
    }
}
