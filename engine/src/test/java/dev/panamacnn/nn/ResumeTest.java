package dev.panamacnn.nn;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.models.Sequential;

import dev.panamacnn.data.Mnist;
import dev.panamacnn.data.SyntheticDigits;
import dev.panamacnn.io.Checkpoint;
import dev.panamacnn.io.TensorFile;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.train.Callback;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.train.History;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.train.TrainingDivergedException;
import dev.panamacnn.train.TrainingStopped;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stopping and resuming gives exactly the weights of an uninterrupted run; divergence stops cleanly. */
class ResumeTest {
    static final int EPOCHS = 3, BATCH = 50;
    @TempDir static Path data;
    static Mnist mnist;

    @BeforeAll
    static void makeData() throws Exception {
        SyntheticDigits.write(data, 230, 10, 9);   // 5 steps per epoch, the last one short
        mnist = Mnist.load(data, w -> {});
    }

    /** A model with the Keras layers that keep state or draw masks: same padding, BatchNormalization, Dropout, global pooling, AdamW. */
    static Sequential kerasModel() {
        Sequential m = new Sequential(
                new Conv2D(4, 3, 3, 2, 2, Activation.RELU, dev.panamacnn.tensor.Shape.of(28, 28, 1)).padding(Padding.SAME),
                new BatchNormalization(),
                new Dropout(0.3f),
                new Conv2D(6, 3, 3, Activation.LINEAR).padding(Padding.SAME),
                new BatchNormalization(),
                new ActivationLayer(Activation.RELU),
                new GlobalAveragePooling2D(),
                new Dense(10, Activation.SOFTMAX)).seed(5).threads(2);
        m.compile(new dev.panamacnn.optim.AdamW(0.01f, 0.004f), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        return m;
    }

    @Test
    void stopAndResumeWithBatchNormalizationAndDropoutIsBitIdentical(@TempDir Path tmp) throws Exception {
        float[] reference;
        try (Sequential m = kerasModel()) {
            m.fit(mnist.train(), opts(tmp.resolve("full")).build());
            reference = weights(m);
        }
        for (int stopAfter : new int[] {2, 7}) {
            Path ckpt = tmp.resolve("stop" + stopAfter);
            TrainingStopped stop = new TrainingStopped();
            Callback stopper = stopper(stop, stopAfter);
            try (Sequential m = kerasModel()) {
                assertTrue(m.fit(mnist.train(), opts(ckpt).callback(stopper).stopOn(stop).build()).stopped());
            }
            try (Sequential m = kerasModel()) {
                m.fit(mnist.train(), opts(ckpt).resume(true).build());
                assertArrayEquals(reference, weights(m), 0f, "resumed after " + stopAfter + " steps (moving statistics included)");
            }
        }
    }

    /** A callback that asks training to stop after {@code steps} steps. */
    static Callback stopper(TrainingStopped stop, int steps) {
        int[] count = {0};
        return new Callback() {
            @Override public void onBatchEnd(int epoch, int step, Map<String, Double> logs) {
                if (++count[0] == steps) stop.request();
            }
        };
    }

    static Sequential model() {
        Sequential m = new Sequential(
                new Conv2D(4, 5, 5, Activation.RELU, dev.panamacnn.tensor.Shape.of(28, 28, 1)),
                new MaxPool2D(2, 2),
                new Flatten(),
                new Dense(16, Activation.RELU),
                new Dense(10, Activation.SOFTMAX)).seed(5).threads(2);
        m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        return m;
    }

    static float[] weights(Sequential m) {
        float[] w = new float[(int) m.paramCount()];
        MemorySegment.copy(m.parameters(), ValueLayout.JAVA_FLOAT, 0, w, 0, w.length);
        return w;
    }

    static FitOptions.Builder opts(Path ckpt) {
        return FitOptions.builder().batchSize(BATCH).epochs(EPOCHS).verbose(false).checkpoint(ckpt, 2);
    }

    @Test
    void stopAndResumeAnywhereIsBitIdentical(@TempDir Path tmp) throws Exception {
        float[] reference;
        History full;
        try (Sequential m = model()) {
            full = m.fit(mnist.train(), opts(tmp.resolve("full")).build());
            reference = weights(m);
        }
        // stop after k steps (mid-epoch, on epoch boundaries, right after a checkpoint and between checkpoints)
        for (int stopAfter : new int[] {1, 2, 3, 5, 6, 9, 14}) {
            Path ckpt = tmp.resolve("stop" + stopAfter);
            TrainingStopped stop = new TrainingStopped();
            Callback stopper = stopper(stop, stopAfter);
            try (Sequential m = model()) {
                History h = m.fit(mnist.train(), opts(ckpt).callback(stopper).stopOn(stop).build());
                assertTrue(h.stopped() || stopAfter >= EPOCHS * 5, "stopped after " + stopAfter);
            }
            assertTrue(Checkpoint.exists(ckpt));
            try (Sequential m = model()) {   // a fresh model: everything must come from the checkpoint
                History h = m.fit(mnist.train(), opts(ckpt).resume(true).build());
                assertArrayEquals(reference, weights(m), 0f, "resumed after " + stopAfter + " steps");
                assertEquals(EPOCHS, h.epochs());
                assertEquals(full.get("loss"), h.get("loss"), "history continues exactly (stop after " + stopAfter + ")");
            }
        }
    }

    @Test
    void resumeRejectsAnotherSetup(@TempDir Path tmp) throws Exception {
        try (Sequential m = model()) {
            m.fit(mnist.train(), opts(tmp).epochs(1).build());
        }
        try (Sequential m = model()) {
            var e = assertThrows(java.io.UncheckedIOException.class,
                    () -> m.fit(mnist.train(), opts(tmp).batchSize(40).resume(true).build()));
            assertTrue(e.getCause().getMessage().contains("batch size 50, this run uses 40"), e.getCause().getMessage());
            var e2 = assertThrows(java.io.UncheckedIOException.class,
                    () -> m.fit(mnist.train().take(200), opts(tmp).resume(true).build()));
            assertTrue(e2.getCause().getMessage().contains("230 training samples, this run has 200"), e2.getCause().getMessage());
        }
    }

    @Test
    void divergenceStopsWithTheStepAndLayerAndKeepsTheLastCheckpoint(@TempDir Path tmp) throws Exception {
        try (Sequential m = model()) {
            m.fit(mnist.train(), opts(tmp).epochs(1).build());
            byte[] good = Files.readAllBytes(Checkpoint.file(tmp));
            long i = m.paramOffset(3) + 7;   // dense/kernel[7]
            m.parameters().setAtIndex(ValueLayout.JAVA_FLOAT, i, Float.NaN);
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> m.fit(mnist.train(), opts(tmp).epochs(2).build()));
            assertTrue(e.getMessage().contains("epoch 1, step 1"), e.getMessage());
            assertTrue(e.getMessage().contains("loss is NaN"), e.getMessage());
            assertTrue(e.getMessage().contains("non-finite parameter in conv2d/kernel"), e.getMessage());
            assertArrayEquals(good, Files.readAllBytes(Checkpoint.file(tmp)), "the last good checkpoint is untouched");
            TensorFile.read(Checkpoint.file(tmp));
        }
    }
}
