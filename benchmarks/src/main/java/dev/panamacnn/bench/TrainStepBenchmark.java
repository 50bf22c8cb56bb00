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

/**
 * One training step (forward, loss, backward, Adam) of the Keras tutorial network, and inference, on random
 * MNIST-shaped batches. Images/s = batch / (ms/op) * 1000.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class TrainStepBenchmark {
    @Param({"128"}) int batch;
    @Param({"1", "2"}) int threads;

    Arena arena;
    Sequential model;
    Tensor x, y;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        model = Batches.tutorialModel(threads);
        var data = Batches.random(arena, batch);
        x = data.x();
        y = data.y();
    }

    @Benchmark
    public double trainStep() {
        return model.trainOnBatch(x, y).lossSum();
    }

    @TearDown
    public void tearDown() {
        model.close();
        arena.close();
    }
}
