package dev.panamacnn.bench;

import dev.panamacnn.ops.Exec;
import dev.panamacnn.ops.Gemm;
import dev.panamacnn.runtime.Rng;
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
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The GEMM on the shapes that matter for the tutorial network (shape = "M,N,K,transA,transB"):
 * dense-1 forward, its two backward products, conv2 as im2col forward per batch, and n=1024 square.
 * GFLOP/s = 2*M*N*K / (us/op) / 1000.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmBenchmark {
    @Param({"128,1000,1024,0,0", "1024,1000,128,1,0", "128,1024,1000,0,1", "8192,64,800,0,0", "1024,1024,1024,0,0"})
    String shape;
    @Param({"1", "2"}) int threads;

    Arena arena;
    Exec exec;
    MemorySegment a, b, c;
    int m, n, k;
    boolean ta, tb;

    @Setup(Level.Trial)
    public void setup() {
        String[] s = shape.split(",");
        m = Integer.parseInt(s[0]); n = Integer.parseInt(s[1]); k = Integer.parseInt(s[2]);
        ta = s[3].equals("1"); tb = s[4].equals("1");
        arena = Arena.ofShared();
        exec = new Exec(threads, arena);
        a = arena.allocate((long) m * k * 4, 64);
        b = arena.allocate((long) k * n * 4, 64);
        c = arena.allocate((long) m * n * 4, 64);
        Rng r = new Rng(1);
        for (long i = 0; i < (long) m * k; i++) a.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat());
        for (long i = 0; i < (long) k * n; i++) b.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat());
    }

    @Benchmark
    public MemorySegment gemm() {
        Gemm.gemm(exec.pool(), exec.gemmScratch(), ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, false, c, 0, n);
        return c;
    }

    @TearDown
    public void tearDown() {
        exec.close();
        arena.close();
    }
}
