package dev.panamacnn.tornado;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.data.SyntheticDigits;
import dev.panamacnn.exec.BackendFactory;
import dev.panamacnn.exec.StepResult;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.nn.BackendContract;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Flatten;
import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.optim.SGD;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.train.EvalResult;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.train.History;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole training step as one TornadoVM task graph, against the CPU engine from the same initial weights. */
class TornadoTrainingTest {
    static Mnist data;

    @BeforeAll static void setUp(@TempDir Path dir) throws Exception {
        SyntheticDigits.write(dir, 2000, 500, 3);
        data = Mnist.load(dir, w -> {});
    }

    /** The tutorial's layer types, smaller ({@link BackendContract#smallTutorialModel}); Adam or SGD with momentum. */
    static Sequential model(boolean adam) { return BackendContract.smallTutorialModel(adam ? new Adam() : new SGD(0.05f, 0.9f)); }

    static Tensor batch(Tensor t, int from, int n) { return BackendContract.batch(t, from, n); }

    static double relError(float[] a, float[] b) { return BackendContract.relError(a, b); }

    @Test void theBackendIsFoundAndNamesItsDevice() {
        BackendFactory f = BackendFactory.find("tornado").orElseThrow();
        assertNull(f.unavailableReason());
        assertTrue(!f.devices().isEmpty());
        System.out.println("TornadoVM devices: " + f.devices());
        try (Sequential m = model(true); var b = f.create(m, "0:0", 4)) {
            assertTrue(b.description().startsWith("TornadoVM: "), b.description());
        }
    }

    @Test void firstStepGradientsMatchTheCpuEngine() {
        try (Sequential cpu = model(true); Sequential dev = model(true); TornadoBackend b = TornadoBackend.create(dev, TornadoDevices.pick(null), 64)) {
            dev.accelerate(b);
            Tensor x = batch(data.train().x(), 0, 37), y = batch(data.train().y(), 0, 37);   // odd batch
            StepResult rc = cpu.trainOnBatch(x, y), rg = dev.trainOnBatch(x, y);
            assertEquals(rc.loss(), rg.loss(), 1e-5, "loss");
            assertEquals(rc.correct(), rg.correct(), "correct predictions");
            b.pullGradients();
            float[] gc = cpu.gradients().toArray(ValueLayout.JAVA_FLOAT), gg = dev.gradients().toArray(ValueLayout.JAVA_FLOAT);
            for (int i = 0; i < cpu.layers().size(); i++) {
                int a = (int) cpu.paramOffset(i), e = a + (int) cpu.layers().get(i).paramCount();
                if (a == e) continue;
                double err = relError(java.util.Arrays.copyOfRange(gg, a, e), java.util.Arrays.copyOfRange(gc, a, e));
                System.out.printf(Locale.ROOT, "gradient of %s: relative error %.2e%n", cpu.layers().get(i).name(), err);
                assertTrue(err < 1e-4, "gradient of " + cpu.layers().get(i).name() + ": relative error " + err);
            }
            dev.syncFromDevice();
            double ep = relError(dev.parameters().toArray(ValueLayout.JAVA_FLOAT), cpu.parameters().toArray(ValueLayout.JAVA_FLOAT));
            assertTrue(ep < 1e-5, "parameters after one Adam step: " + ep);
        }
    }

    /** 240 steps of batch 32 on the same batches: the TornadoVM loss curve follows the CPU engine's ({@link BackendContract}). */
    @Test void followsTheCpuLossCurveFor240Steps() {
        BackendContract.followsCpuLossCurve("TornadoVM", () -> model(true), data.train(), data.test(), m -> TornadoBackend.create(m, TornadoDevices.pick(null), 32), 240, 32);
    }

    /** Checkpoints hold the device's state and --resume uploads it: stop after 7 steps, resume, bit-identical to a straight run. */
    @Test void stopAndResumeOnTheDeviceIsBitIdentical(@TempDir Path ckpt) {
        BackendContract.resumeIsBitIdentical("TornadoVM", () -> model(true), data.train().take(400), m -> TornadoBackend.create(m, TornadoDevices.pick(null), 40), ckpt);
    }

    /** Residency, counted: per step the batch, its targets and two 4-element control arrays go in; 4 floats come out. */
    @Test void aStepMovesOnlyTheBatchInAndFourScalarsOut() {
        int bs = 50;
        try (Sequential dev = model(true); TornadoBackend b = TornadoBackend.create(dev, TornadoDevices.pick(null), bs)) {
            dev.accelerate(b);
            Tensor x = batch(data.train().x(), 0, bs), y = batch(data.train().y(), 0, bs);
            dev.trainOnBatch(x, y);
            long in0 = b.bytesToDevice(), out0 = b.bytesFromDevice(), e0 = b.executions();
            int steps = 5;
            for (int s = 0; s < steps; s++) dev.trainOnBatch(x, y);
            long perStepIn = (b.bytesToDevice() - in0) / steps, perStepOut = (b.bytesFromDevice() - out0) / steps;
            System.out.printf(Locale.ROOT, "per step: %d bytes to the device, %d bytes back, %d graph execution(s)%n",
                    perStepIn, perStepOut, (b.executions() - e0) / steps);
            long header = 16;   // TornadoVM's arrays carry a 16-byte header
            assertEquals((long) bs * 784 * 4 + header + (long) bs * 10 * 4 + header + 2 * (4 * 4 + header), perStepIn, "bytes in per step");
            assertEquals(4 * 4 + header, perStepOut, "bytes out per step: loss sum, correct count, non-finite flag (+1 spare)");
            assertEquals(steps, b.executions() - e0, "one graph execution per step");
        }
    }

    @Test void fitResumeAndSgdOnTheDevice(@TempDir Path dir) {
        FitOptions o = FitOptions.builder().batchSize(32).epochs(2).verbose(false).build();
        try (Sequential cpu = model(false); Sequential dev = model(false); TornadoBackend b = TornadoBackend.create(dev, TornadoDevices.pick(null), 32)) {
            dev.accelerate(b);
            History hc = cpu.fit(data.train().take(640), o), hg = dev.fit(data.train().take(640), o);
            for (int e = 0; e < 2; e++) {
                assertEquals(hc.history().get("loss").get(e), hg.history().get("loss").get(e), 0.02, "SGD loss of epoch " + (e + 1));
            }
            // fit leaves the device's weights on the host
            double ep = relError(dev.parameters().toArray(ValueLayout.JAVA_FLOAT), cpu.parameters().toArray(ValueLayout.JAVA_FLOAT));
            assertTrue(ep < 1e-3, "parameters after fit: " + ep);
            // pushState: host weights changed (as a resume does) reach the device
            float[] p = cpu.parameters().toArray(ValueLayout.JAVA_FLOAT);
            MemorySegment.copy(p, 0, dev.parameters(), ValueLayout.JAVA_FLOAT, 0, p.length);
            b.pushState();
            Tensor x = batch(data.test().x(), 0, 20);
            assertArrayEquals(cpu.predict(x).toArray(), dev.predict(x).toArray(), 1e-5f, "predictions after pushState");
        }
    }
}
