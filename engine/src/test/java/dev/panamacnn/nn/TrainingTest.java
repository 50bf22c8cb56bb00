package dev.panamacnn.nn;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.models.Models;

import dev.panamacnn.data.Mnist;
import dev.panamacnn.data.SyntheticDigits;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.train.EvalResult;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.train.History;
import dev.panamacnn.loss.Metric;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Short real training runs: learning happens, and results do not depend on the thread count. */
class TrainingTest {

    static Sequential smallCnn(long seed, int threads) {
        return new Sequential(
                new Conv2D(8, 5, 5, Activation.RELU, Shape.of(28, 28, 1)),
                new MaxPool2D(2, 2),
                new Conv2D(16, 5, 5, Activation.RELU),
                new MaxPool2D(2, 2),
                new Flatten(),
                new Dense(64, Activation.RELU),
                new Dense(10, Activation.SOFTMAX)).seed(seed).threads(threads);
    }

    @Test
    void learnsSyntheticDigitsFromIdxFiles(@TempDir Path dir) throws Exception {
        SyntheticDigits.write(dir, 3000, 1000, 1);
        List<String> warnings = new ArrayList<>();
        Mnist data = Mnist.load(dir, warnings::add);
        assertEquals(4, warnings.size(), "each non-original file is reported: " + warnings);
        try (Sequential model = smallCnn(1, 2)) {
            model.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            EvalResult before = model.evaluate(data.test());
            History h = model.fit(data.train(), FitOptions.builder().batchSize(64).epochs(4).verbose(false)
                    .validationData(data.test()).build());
            EvalResult after = model.evaluate(data.test());
            assertTrue(before.accuracy() < 0.3, "untrained accuracy should be near chance: " + before);
            System.out.println("TrainingTest: synthetic digits, before " + before + ", after " + after);
            assertTrue(after.accuracy() > 0.9, "trained accuracy " + after);
            assertTrue(h.get("loss").get(3) < h.get("loss").get(0), "loss decreases: " + h.get("loss"));
            assertEquals(after.accuracy(), h.last("val_accuracy"), 1e-12);
        }
    }

    @Test
    void sameSeedGivesBitIdenticalWeightsOnOneTwoAndFourThreads(@TempDir Path dir) throws Exception {
        SyntheticDigits.write(dir, 700, 10, 2);
        Mnist data = Mnist.load(dir, w -> {});
        float[] reference = null;
        for (int threads : new int[] {1, 2, 4}) {
            try (Sequential model = smallCnn(7, threads)) {
                model.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
                model.fit(data.train(), FitOptions.builder().batchSize(100).epochs(2).verbose(false).build());
                float[] w = new float[(int) model.paramCount()];
                MemorySegment.copy(model.parameters(), ValueLayout.JAVA_FLOAT, 0, w, 0, w.length);
                if (reference == null) reference = w;
                else assertArrayEquals(reference, w, 0f, threads + " threads differ from 1 thread");
            }
        }
    }

    @Test
    void tutorialNetworkHasKerasParameterCountAndSummary() {
        try (Sequential model = Models.kerasMnistTutorial().threads(1)) {
            model.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            assertEquals(1_087_106, model.paramCount());
            String s = model.summary();
            assertTrue(s.contains("conv2d (Conv2D)"), s);
            assertTrue(s.contains("(None, 24, 24, 32)"), s);
            assertTrue(s.contains("max_pooling2d_1 (MaxPooling2D)"), s);
            assertTrue(s.contains("(None, 4, 4, 64)"), s);
            assertTrue(s.contains("Total params: 1,087,106"), s);
        }
    }

    @Test
    void glorotUniformInitialisationHasTheKerasRange() {
        try (Sequential model = new Sequential(new Dense(300, Activation.RELU, Shape.of(200)), new Dense(10, Activation.SOFTMAX)).threads(1)) {
            model.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY);
            double limit = Math.sqrt(6.0 / (200 + 300));
            MemorySegment p = model.parameters();
            double max = 0, sumSq = 0;
            for (int i = 0; i < 200 * 300; i++) {
                float v = p.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                max = Math.max(max, Math.abs(v));
                sumSq += v * v;
            }
            assertTrue(max <= limit && max > 0.99 * limit, "max |w| " + max + " vs limit " + limit);
            assertEquals(limit * limit / 3, sumSq / (200 * 300), 0.05 * limit * limit / 3, "variance of U(-l, l)");
            for (int i = 200 * 300; i < 200 * 300 + 300; i++) assertEquals(0f, p.getAtIndex(ValueLayout.JAVA_FLOAT, i), "biases start at 0");
        }
    }

    @Test
    void compileRejectsModelsTheLossCannotTrain() {
        try (Sequential m = new Sequential(new Dense(10, Activation.RELU, Shape.of(4)))) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY));
            assertTrue(e.getMessage().contains("softmax"), e.getMessage());
        }
        try (Sequential m = new Sequential(new Conv2D(2, 3, 3, Activation.RELU, Shape.of(8, 8, 1)), new Dense(10, Activation.SOFTMAX))) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY));
            assertTrue(e.getMessage().contains("Flatten"), e.getMessage());
        }
    }
}
