package dev.panamacnn.bench;

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

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

/**
 * Each op of a CPU training step of the tutorial network, forward and backward, at batch 128 on 2 threads (the
 * parts of {@link Sequential#stepParts}): where the step's time goes, measured by JMH rather than by timers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class OpBenchmark {
    @Param({"conv2d forward", "max_pooling2d forward", "conv2d_1 forward", "max_pooling2d_1 forward", "dense forward",
            "dense_1 forward", "softmax+loss", "dense_1 backward", "dense backward", "max_pooling2d_1 backward",
            "conv2d_1 backward", "max_pooling2d backward", "conv2d backward", "Adam update"})
    String op;
    @Param({"128"}) int batch;
    @Param({"2"}) int threads;

    Arena arena;
    Sequential model;
    Runnable part;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        model = Batches.tutorialModel(threads);
        var data = Batches.random(arena, batch);
        var parts = model.stepParts(data.x(), data.y());
        part = parts.get(op);
        if (part == null) throw new IllegalArgumentException("no op '" + op + "'; there are " + parts.keySet());
    }

    @Benchmark
    public void op() {
        part.run();
    }

    @TearDown
    public void tearDown() {
        model.close();
        arena.close();
    }
}
