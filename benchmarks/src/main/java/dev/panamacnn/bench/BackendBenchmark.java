package dev.panamacnn.bench;

import dev.panamacnn.gpu.BackendChoice;
import dev.panamacnn.gpu.OpenClAccelerator;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.tensor.Tensor;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

/**
 * CPU engine vs the OpenCL backend vs the TornadoVM backend on the tutorial network: one training step, and inference, on a random
 * MNIST-shaped batch. Mode is throughput: the primary score is batches per second, and the secondary
 * {@code :images} score is images per second (an auxiliary counter that adds the batch size per call). The OpenCL device is
 * the first GPU, else the first OpenCL device ({@code -Dpanamacnn.bench.device=N} picks one); without OpenCL the
 * {@code opencl} rows fail with the reason rather than quietly measuring the CPU. The {@code tornado} rows need a JVM
 * started with TornadoVM's flags and the TornadoVM module on the class path: {@code benchmarks/backends.sh} runs all
 * three and prints one table ({@code -Dpanamacnn.bench.tornado.device=D:D} picks the device, default its first GPU,
 * else its first device).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class BackendBenchmark {
    @Param({"cpu", "opencl", "tornado"}) String backend;
    @Param({"128", "1000"}) int batch;

    Arena arena;
    Sequential model;
    dev.panamacnn.exec.Backend acc;
    Tensor x, y;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        model = Batches.tutorialModel(Runtime.getRuntime().availableProcessors());
        var data = Batches.random(arena, batch);
        x = data.x();
        y = data.y();
        if (backend.equals("opencl")) {
            String pick = dev.panamacnn.runtime.Flags.benchDevice();
            BackendChoice c = BackendChoice.choose("opencl", pick == null ? null : Integer.valueOf(pick));
            acc = OpenClAccelerator.create(model, c.device(), batch);
            model.accelerate(acc);
            System.out.println("\nOpenCL device: " + c.device().describe());
        } else if (backend.equals("tornado")) {
            var f = dev.panamacnn.exec.BackendFactory.find("tornado").orElseThrow(() -> new IllegalStateException(
                    "no TornadoVM backend in this JVM: run benchmarks/backends.sh with a TornadoVM SDK (TORNADOVM_HOME)"));
            if (f.unavailableReason() != null) throw new IllegalStateException(f.unavailableReason());
            acc = f.create(model, dev.panamacnn.runtime.Flags.benchTornadoDevice(), batch);
            model.accelerate(acc);
            System.out.println("\n" + acc.description());
        }
    }

    /** Counts images, so JMH reports images/s next to batches/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Images {
        public long images;
    }

    /** One training step (forward, loss, backward, Adam) on the batch. */
    @Benchmark
    public double trainStep(Images count) {
        count.images += batch;
        return model.trainOnBatch(x, y).lossSum();
    }

    /** Forward pass of the batch with the probabilities copied to the host. */
    @Benchmark
    public Tensor inference(Images count) {
        count.images += batch;
        return model.predict(x, batch);
    }

    @TearDown
    public void tearDown() {
        if (acc != null) {
            model.accelerate(null);
            acc.close();
        }
        model.close();
        arena.close();
    }
}
