package dev.panamacnn.train;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.data.SyntheticDigits;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Flatten;
import dev.panamacnn.nn.InputLayer;
import dev.panamacnn.optim.SGD;
import dev.panamacnn.tensor.Shape;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The callbacks against Keras' rules (keras/src/callbacks/*.py: EarlyStopping's wait counter and its "never after the
 * first epoch", ReduceLROnPlateau's patience and cooldown, ModelCheckpoint's save_best_only, CSVLogger's sorted
 * columns), driven epoch by epoch with given logs, and inside a real {@code fit}.
 */
class CallbacksTest {
    @TempDir static Path data;
    static Mnist mnist;

    @BeforeAll
    static void makeData() throws Exception {
        SyntheticDigits.write(data, 120, 40, 4);
        mnist = Mnist.load(data, w -> {});
    }

    static Sequential model() {
        Sequential m = new Sequential(new InputLayer(Shape.of(28, 28, 1)), new Flatten(), new Dense(10, Activation.SOFTMAX)).seed(3).threads(2);
        m.compile(new SGD(0.1f), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        return m;
    }

    static FitContext context(Sequential m) { return new FitContext(m.network(), m.backend()); }

    static Map<String, Double> logs(double valLoss) {
        Map<String, Double> l = new LinkedHashMap<>();
        l.put("loss", 1.0);
        l.put("val_loss", valLoss);
        return l;
    }

    @Test
    void earlyStoppingWaitsPatienceEpochsAndRestoresTheBest() {
        try (Sequential m = model()) {
            FitContext ctx = context(m);
            EarlyStopping es = new EarlyStopping("val_loss", 2, true);
            es.setContext(ctx);
            es.onTrainBegin(10, 1);
            double[] seq = {1.0, 0.9, 0.95, 0.96, 0.5};
            float[] atBest = null;
            for (int e = 0; e < seq.length && !ctx.stopRequested(); e++) {
                m.parameters().setAtIndex(ValueLayout.JAVA_FLOAT, 0, e);   // mark the weights with the epoch
                if (e == 1) atBest = ctx.weights();
                es.onEpochEnd(e, logs(seq[e]));
            }
            assertTrue(ctx.stopRequested());
            assertEquals(3, es.stoppedEpoch(), "two epochs without improvement after the best (epoch 1)");
            assertEquals(1, es.bestEpoch());
            assertArrayEquals(atBest, ctx.weights(), 0f, "the best epoch's weights are back");
        }
    }

    @Test
    void earlyStoppingNeverStopsAfterTheFirstEpochAndHonoursMinDelta() {
        try (Sequential m = model()) {
            FitContext ctx = context(m);
            EarlyStopping es = new EarlyStopping("val_loss", 0.1, 0, "auto", false, 0);
            es.setContext(ctx);
            es.onTrainBegin(10, 1);
            es.onEpochEnd(0, logs(1.0));
            assertFalse(ctx.stopRequested());
            es.onEpochEnd(1, logs(0.95));   // better, but by less than min_delta: no improvement
            assertTrue(ctx.stopRequested());
        }
    }

    @Test
    void reduceLrOnPlateauWithCooldown() {
        try (Sequential m = model()) {
            FitContext ctx = context(m);
            ReduceLROnPlateau r = new ReduceLROnPlateau("val_loss", 0.5, 1, "auto", 1e-4, 2, 0.02);
            r.setContext(ctx);
            r.onTrainBegin(10, 1);
            double[] seq = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
            float[] expected = {0.1f, 0.05f, 0.05f, 0.025f, 0.025f, 0.02f};   // reduce, two cooldown epochs (the second already waits), reduce, ..., floor at min_lr
            for (int e = 0; e < seq.length; e++) {
                Map<String, Double> l = logs(seq[e]);
                r.onEpochEnd(e, l);
                assertEquals(expected[e], ctx.optimizer().learningRate(), 1e-7, "epoch " + e);
                assertEquals(expected[e], l.get("learning_rate"), 1e-7);
            }
        }
    }

    @Test
    void modelCheckpointSavesOnlyTheBestAndFormatsThePath(@TempDir Path tmp) throws Exception {
        try (Sequential m = model()) {
            ModelCheckpoint mc = new ModelCheckpoint(tmp.resolve("best-{epoch:02d}-{val_loss:.2f}").toString(), "val_loss", true);
            mc.setContext(context(m));
            mc.onTrainBegin(3, 1);
            mc.onEpochEnd(0, logs(0.8));
            mc.onEpochEnd(1, logs(0.9));
            mc.onEpochEnd(2, logs(0.4));
            assertTrue(Files.exists(tmp.resolve("best-01-0.80/model.json")));
            assertFalse(Files.exists(tmp.resolve("best-02-0.90")));
            assertEquals(tmp.resolve("best-03-0.40"), mc.lastSaved());
            Sequential.load(mc.lastSaved()).close();
            assertThrows(IllegalArgumentException.class, () -> ModelCheckpoint.format("m-{nope}", 0, logs(1)));
        }
    }

    @Test
    void fitWiresValidationMetricsCallbacksAndCsv(@TempDir Path tmp) throws Exception {
        Path csv = tmp.resolve("log.csv");
        try (Sequential m = model()) {
            EarlyStopping es = new EarlyStopping("val_loss", 10.0, 0, "auto", true, 0);   // no epoch improves by 10
            History h = m.fit(mnist.train(), FitOptions.builder().batchSize(40).epochs(6).verbose(false)
                    .validationData(mnist.test()).callback(es).callback(new CSVLogger(csv)).build());
            assertEquals(1, h.stoppedEarlyAt(), "stopped after the second epoch");
            assertFalse(h.stopped(), "an early stop is not an interruption");
            assertEquals(2, h.epochs());
            List<String> lines = Files.readAllLines(csv);
            assertEquals("epoch,accuracy,loss,val_accuracy,val_loss", lines.get(0));
            assertEquals(3, lines.size());
            assertTrue(lines.get(1).startsWith("0,"), lines.get(1));
            double valLoss = Double.parseDouble(lines.get(2).split(",")[4]);
            assertEquals(h.get("val_loss").get(1), valLoss, 0);
        }
    }

    @Test
    void learningRateSchedulerSetsTheRateEachEpoch() {
        try (Sequential m = model()) {
            History h = m.fit(mnist.train(), FitOptions.builder().batchSize(40).epochs(3).verbose(false)
                    .callback(new LearningRateScheduler((epoch, lr) -> epoch == 0 ? lr : lr * 0.5)).build());
            assertEquals(List.of(0.1, 0.05, 0.025), h.get("learning_rate").stream().map(v -> Math.round(v * 1e6) / 1e6).toList());
            assertEquals(0.025f, m.optimizer().learningRate(), 1e-9);
        }
    }

    @Test
    void aKerasLayersModelSavesAndLoadsExactly(@TempDir Path tmp) throws Exception {
        try (Sequential m = new Sequential(new InputLayer(Shape.of(28, 28, 1)),
                new dev.panamacnn.nn.Conv2D(4, 3, 3, Activation.LINEAR).padding(dev.panamacnn.nn.Padding.SAME).useBias(false),
                new dev.panamacnn.nn.BatchNormalization(), new dev.panamacnn.nn.ActivationLayer(Activation.SWISH),
                new dev.panamacnn.nn.AveragePooling2D(2, 2), new dev.panamacnn.nn.GlobalMaxPooling2D(), new dev.panamacnn.nn.Dropout(0.1f),
                new Dense(10, Activation.SOFTMAX)).seed(2).threads(2)) {
            m.compile(new dev.panamacnn.optim.RMSprop(0.01f), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            m.fit(mnist.train(), FitOptions.builder().batchSize(40).epochs(1).verbose(false).build());
            m.save(tmp);
            float[] before = m.predict(mnist.test().x()).toArray();
            try (Sequential back = Sequential.load(tmp)) {
                assertArrayEquals(before, back.predict(mnist.test().x()).toArray(), 0f, "same predictions: moving statistics saved");
                assertEquals(m.summary(), back.summary());
            }
        }
    }

    @Test
    void aMissingMonitorIsNamed() {
        try (Sequential m = model()) {
            EarlyStopping es = new EarlyStopping("val_loss", 1, false);
            es.setContext(context(m));
            es.onTrainBegin(1, 1);
            Map<String, Double> l = new LinkedHashMap<>();
            l.put("loss", 1.0);
            var e = assertThrows(IllegalStateException.class, () -> es.onEpochEnd(0, l));
            assertTrue(e.getMessage().contains("'val_loss' is not in the logs") && e.getMessage().contains("give validation data"), e.getMessage());
        }
    }
}
