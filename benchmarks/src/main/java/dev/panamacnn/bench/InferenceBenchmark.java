package dev.panamacnn.bench;

import dev.panamacnn.models.Sequential;
import dev.panamacnn.tensor.Tensor;
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

/** Inference (predict) of the tutorial network at batch 1, 128 and 1000. Images/s = batch / (ms/op) * 1000. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class InferenceBenchmark {
    @Param({"1", "128", "1000"}) int batch;
    @Param({"2"}) int threads;

    Arena arena;
    Sequential model;
    Tensor x;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        model = Batches.tutorialModel(threads);
        x = Batches.random(arena, batch).x();
    }

    @Benchmark
    public Tensor predict() {
        return model.predict(x, batch);
    }

    @TearDown
    public void tearDown() {
        model.close();
        arena.close();
    }
}
