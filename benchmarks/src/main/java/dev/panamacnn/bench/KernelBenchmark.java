package dev.panamacnn.bench;

import dev.panamacnn.gpu.BackendChoice;
import dev.panamacnn.gpu.OpenClAccelerator;
import dev.panamacnn.models.Sequential;
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

import java.util.concurrent.TimeUnit;

/**
 * Each OpenCL kernel launch of the tutorial network's training step (named as in
 * {@code OpenClAccelerator.launches}: a layer's forward pass, its weight, bias, column and input gradients, the fused
 * softmax + loss, the Adam update) at batch 128, waiting for the device after each call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBenchmark {
    @Param({"conv2d forward", "max_pooling2d forward", "conv2d_1 forward", "max_pooling2d_1 forward", "dense forward",
            "dense_1 forward", "softmax+loss", "dense_1 weight gradient", "dense_1 input gradient",
            "dense activation gradient", "dense weight gradient", "dense bias gradient", "dense input gradient",
            "max_pooling2d_1 input gradient", "conv2d_1 activation gradient", "conv2d_1 weight and bias gradient",
            "conv2d_1 column gradient", "conv2d_1 input gradient", "max_pooling2d input gradient",
            "conv2d activation gradient", "conv2d weight and bias gradient", "Adam update"})
    String op;
    @Param({"128"}) int batch;

    Sequential model;
    OpenClAccelerator acc;
    Runnable launch;

    @Setup(Level.Trial)
    public void setup() {
        model = Batches.tutorialModel(1);
        String pick = dev.panamacnn.runtime.Flags.benchDevice();
        acc = OpenClAccelerator.create(model, BackendChoice.choose("opencl", pick == null ? null : Integer.valueOf(pick)).device(), batch);
        var all = acc.parts(batch);
        launch = all.get(op);
        if (launch == null) throw new IllegalArgumentException("no launch group '" + op + "'; there are " + all.keySet());
    }

    @Benchmark
    public void kernel() {
        launch.run();
        acc.context().finish();
    }

    @TearDown
    public void tearDown() {
        acc.close();
        model.close();
    }
}
