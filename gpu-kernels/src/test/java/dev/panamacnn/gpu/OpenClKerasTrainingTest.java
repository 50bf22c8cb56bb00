package dev.panamacnn.gpu;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.exec.StepResult;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.nn.BatchNormalization;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.GlobalAveragePooling2D;
import dev.panamacnn.nn.InputLayer;
import dev.panamacnn.nn.Padding;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.optim.AdamW;
import dev.panamacnn.optim.LearningRateSchedule;
import dev.panamacnn.optim.Optimizer;
import dev.panamacnn.optim.RMSprop;
import dev.panamacnn.optim.SGD;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The optimizers, schedules and losses beyond the tutorial train on the OpenCL backend as on the CPU engine: a small
 * network with same padding, BatchNormalization and global pooling, 6 steps on the same random batches; every loss,
 * the final weights (moving statistics included) and the predictions agree.
 */
class OpenClKerasTrainingTest {
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("AdamW", (Supplier<Optimizer>) () -> new AdamW(0.01f, 0.05f), Loss.CATEGORICAL_CROSSENTROPY),
                Arguments.of("Adam amsgrad, label smoothing", (Supplier<Optimizer>) () -> new Adam(0.01f, null, 0.9f, 0.999f, 1e-7f, true),
                        Loss.categoricalCrossentropy(0.1f)),
                Arguments.of("SGD nesterov, exponential decay, sparse labels", (Supplier<Optimizer>) () -> new SGD(0.1f,
                        new LearningRateSchedule.ExponentialDecay(0.1, 2, 0.5, false), 0.9f, true), Loss.SPARSE_CATEGORICAL_CROSSENTROPY),
                Arguments.of("RMSprop centered with momentum", (Supplier<Optimizer>) () -> new RMSprop(0.003f, null, 0.9f, 0.5f, 1e-7f, true),
                        Loss.CATEGORICAL_CROSSENTROPY),
                Arguments.of("Adam, binary cross-entropy", (Supplier<Optimizer>) () -> new Adam(0.01f), Loss.binaryCrossentropy(0.05f)));
    }

    static Sequential model(Loss loss, Optimizer opt) {
        boolean binary = loss.kind() == Loss.Kind.BINARY;
        Sequential m = new Sequential(new InputLayer(Shape.of(6, 5, 2)), new Conv2D(3, 3, 3, Activation.RELU).padding(Padding.SAME),
                new BatchNormalization(), new GlobalAveragePooling2D(), binary ? new Dense(1, Activation.SIGMOID) : new Dense(4, Activation.SOFTMAX));
        m.seed(3).threads(2).compile(opt, loss, Metric.ACCURACY);
        return m;
    }

    static void close(float[] a, float[] b, double tol, String what) {
        assertEquals(a.length, b.length, what);
        double max = 1e-6;
        for (float v : a) max = Math.max(max, Math.abs(v));
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], tol * max, what + "[" + i + "]");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void trainsAsOnTheCpu(String name, Supplier<Optimizer> opt, Loss loss) {
        int n = 8, classes = 4;
        boolean binary = loss.kind() == Loss.Kind.BINARY, sparse = loss.kind() == Loss.Kind.SPARSE_CATEGORICAL;
        int tw = binary || sparse ? 1 : classes;
        try (Arena a = Arena.ofConfined(); Sequential cpu = model(loss, opt.get()); Sequential dev = model(loss, opt.get());
             OpenClAccelerator acc = OpenClAccelerator.create(dev, OpenClTestDevice.get(), n)) {
            dev.accelerate(acc);
            Tensor x = Tensor.allocate(a, Shape.of(n, 6, 5, 2)), y = Tensor.allocate(a, Shape.of(n, tw));
            Rng r = new Rng(11);
            for (int step = 0; step < 6; step++) {
                for (int i = 0; i < x.size(); i++) x.set(i, (float) r.nextGaussian());
                y.segment().fill((byte) 0);
                for (int i = 0; i < n; i++) {
                    int c = r.nextInt(binary ? 2 : classes);
                    if (binary || sparse) y.set(i, c); else y.set(i * (long) classes + c, 1f);
                }
                StepResult p = cpu.trainOnBatch(x, y), q = dev.trainOnBatch(x, y);
                assertEquals(p.loss(), q.loss(), 2e-4 * Math.max(1, Math.abs(p.loss())), name + ": loss at step " + step);
                assertEquals(p.correct(), q.correct(), name + ": correct at step " + step);
            }
            close(cpu.predict(x).toArray(), dev.predict(x).toArray(), 2e-4, name + ": predictions");
            dev.syncFromDevice();
            close(cpu.parameters().toArray(ValueLayout.JAVA_FLOAT), dev.parameters().toArray(ValueLayout.JAVA_FLOAT), 2e-4, name + ": parameters");
            dev.accelerate(null);
        }
    }
}
