package dev.panamacnn.io.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.panamacnn.activations.Activation;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Models;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.nn.*;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX export checked by someone else's runtime: each model is trained a few steps (so that BatchNormalization's
 * moving statistics and every weight are non-trivial), exported, loaded by ONNX Runtime 1.22 (Java API), and both
 * predict the same inputs: the probabilities agree to 1e-5.
 */
class OnnxExportTest {
    static void trainAFewSteps(Sequential m, Shape in, int classes) {
        try (Arena a = Arena.ofConfined()) {
            Rng r = new Rng(9);
            Tensor x = Tensor.allocate(a, Shape.of(prepend(16, in.dims()))), y = Tensor.allocate(a, Shape.of(16, classes));
            for (int step = 0; step < 4; step++) {
                for (long i = 0; i < x.size(); i++) x.set(i, (float) r.nextDouble());
                y.segment().fill((byte) 0);
                for (int i = 0; i < 16; i++) y.set(i * (long) classes + r.nextInt(classes), 1f);
                m.trainOnBatch(x, y);
            }
        }
    }

    static int[] prepend(int n, int[] d) {
        int[] r = new int[d.length + 1];
        r[0] = n;
        System.arraycopy(d, 0, r, 1, d.length);
        return r;
    }

    /** Exports {@code m}, runs {@code n} random inputs through ONNX Runtime and the engine, compares. */
    static void agrees(String what, Sequential m, Path dir, int n) throws Exception {
        Path keep = System.getProperty("panamacnn.onnx.keep") == null ? null : Path.of(System.getProperty("panamacnn.onnx.keep"));
        Path f = (keep != null ? keep : dir).resolve(what.replace(' ', '_') + ".onnx");
        m.exportOnnx(f, what.replace(' ', '_'));
        Shape in = m.inputShape();
        int per = in.size(), classes = m.outputShape().size();
        float[] x = new float[n * per];
        Rng r = new Rng(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        float[] ours;
        try (Arena a = Arena.ofConfined()) {
            Tensor t = Tensor.allocate(a, Shape.of(prepend(n, in.dims())));
            java.lang.foreign.MemorySegment.copy(x, 0, t.segment(), java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, x.length);
            ours = m.predict(t).toArray();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] shape = java.util.Arrays.stream(prepend(n, in.dims())).asLongStream().toArray();
        try (OrtSession s = env.createSession(Files.readAllBytes(f), new OrtSession.SessionOptions());
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
             OrtSession.Result res = s.run(Map.of("input", input))) {
            float[][] theirs = (float[][]) res.get("probabilities").orElseThrow().getValue();
            assertEquals(n, theirs.length);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < classes; j++) assertEquals(ours[i * classes + j], theirs[i][j], 1e-5, what + ": sample " + i + " class " + j);
            }
        }
    }

    @Test
    void theTutorialNetwork(@TempDir Path dir) throws Exception {
        try (Sequential m = Models.kerasMnistTutorial().threads(2)) {
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            trainAFewSteps(m, Shape.of(28, 28, 1), 10);
            agrees("tutorial", m, dir, 7);
        }
    }

    static Sequential kerasLayers() {
        return new Sequential(new InputLayer(Shape.of(12, 10, 3)), new Rescaling(2f, -1f),
                new Conv2D(6, 3, 3, 2, 2, Activation.LINEAR, null).padding(Padding.SAME).useBias(false), new BatchNormalization(),
                new ActivationLayer(Activation.SWISH), new MaxPool2D(3, 3, 2, 2).padding(Padding.SAME),
                new Conv2D(8, 2, 2, Activation.GELU), new AveragePooling2D(2, 2, 1, 1, Padding.SAME), new LeakyReLU(0.1f),
                new GlobalAveragePooling2D(), new Dense(9, Activation.ELU), new Dropout(0.3f), new ReLU(6f, 0f, 0f), new BatchNormalization(),
                new Dense(5, Activation.SOFTMAX));
    }

    static Sequential flattenAndReshape() {
        return new Sequential(new InputLayer(Shape.of(8, 8, 2)), new Conv2D(4, 3, 3, Activation.TANH).padding(Padding.SAME),
                new Reshape(4, 16, 4), new Conv2D(3, 1, 1, Activation.LEAKY_RELU), new GlobalMaxPooling2D(true), new Flatten(),
                new Dense(6, Activation.SIGMOID), new Dense(3, Activation.SOFTMAX));
    }

    @Test
    void theKerasLayers(@TempDir Path dir) throws Exception {
        for (Supplier<Sequential> make : java.util.List.<Supplier<Sequential>>of(OnnxExportTest::kerasLayers, OnnxExportTest::flattenAndReshape)) {
            try (Sequential m = make.get().seed(4).threads(2)) {
                m.compile(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                trainAFewSteps(m, m.inputShape(), m.outputShape().size());
                agrees("keras layers " + m.layers().size(), m, dir, 5);
            }
        }
    }

    @Test
    void whatHasNoOnnxFormIsRefusedByName(@TempDir Path dir) throws Exception {
        try (Sequential m = new Sequential(new InputLayer(Shape.of(4)), new ReLU(null, 0.1f, 0.5f), new Dense(2, Activation.SOFTMAX))) {
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            var e = assertThrows(IllegalArgumentException.class, () -> m.exportOnnx(dir.resolve("x.onnx")));
            assertTrue(e.getMessage().contains("re_lu") && e.getMessage().contains("threshold"), e.getMessage());
            assertTrue(!Files.exists(dir.resolve("x.onnx")), "nothing written");
        }
    }
}
