package dev.panamacnn.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * One core, the GEMM's building blocks alone (in package {@code dev.panamacnn.ops} to reach them):
 * <ul>
 *   <li>{@code fmaPeak}: 12 independent FMA chains on registers, 100,000 rounds = 2,400,000 x L FLOP per call for
 *       L float lanes (38,400,000 with AVX-512's 16, 19,200,000 with AVX2's 8; what the core can do at all);</li>
 *   <li>{@code kernelRows} / {@code kernelColumns}: the 8 x 2L micro-kernel over KC = 256, its data in L1/L2
 *       (A by rows, or by columns as for a transposed A), 8,192 x L FLOP per call (131,072 with AVX-512, 65,536
 *       with AVX2, where it runs as two 4-row halves unless {@code -Dpanamacnn.tile=whole});</li>
 *   <li>{@code packDenseKernel} / {@code packDenseKernelTransposed}: packing the dense layer's 1024 x 1000 kernel
 *       into panels block by block, as the serial GEMM does for the forward and the input-gradient products.</li>
 * </ul>
 * {@code bin/benchmark MicroKernelBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MicroKernelBenchmark {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    float[] pa;
    MemorySegment pb;
    MemorySegment c, dense;
    Gemm.Scratch scratch;
    int round;
    /**
     * 100,000 rounds per call: with 1,000, C2's compiled loop (unrolled, one chain's copies side by side) measured
     * 139-177 instead of 233 GFLOP/s, so it would have measured that loop's schedule rather than the FMA units.
     */
    int rounds = 100_000;

    @Setup
    public void setup() {
        java.util.Random r = new java.util.Random(1);
        pa = new float[Gemm.MC * Gemm.KC];
        Arena arena = Arena.ofAuto();
        pb = arena.allocate((long) Gemm.KC * Gemm.NR * 4, 64);
        for (int i = 0; i < pa.length; i++) pa[i] = r.nextFloat();
        for (long i = 0; i < (long) Gemm.KC * Gemm.NR; i++) pb.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat());
        c = arena.allocate((long) Gemm.MR * Gemm.NR * 4, 64);
        dense = arena.allocate(1024L * 1000 * 4, 64);
        for (long i = 0; i < 1024L * 1000; i++) dense.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat());
        scratch = new Gemm.Scratch(arena);
    }

    @Benchmark
    public float fmaPeak() {
        return fmaChains(rounds);
    }

    static float fmaChains(int n) {
        FloatVector a = FloatVector.broadcast(S, 1.0001f), b = FloatVector.broadcast(S, 0.9999f);
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < n; i++) {
            c0 = a.fma(b, c0); c1 = a.fma(b, c1); c2 = a.fma(b, c2); c3 = a.fma(b, c3); c4 = a.fma(b, c4); c5 = a.fma(b, c5);
            c6 = a.fma(b, c6); c7 = a.fma(b, c7); c8 = a.fma(b, c8); c9 = a.fma(b, c9); c10 = a.fma(b, c10); c11 = a.fma(b, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    public MemorySegment kernelRows() {
        int panel = (round++ & 15) * Gemm.MR * Gemm.KC % (Gemm.MC * Gemm.KC);   // walk the 16 row panels of the A block
        Gemm.kernelRowsA(pa, panel, pb, 0, Gemm.KC, c, 0, Gemm.NR * 4L, false);
        return c;
    }

    @Benchmark
    public MemorySegment kernelColumns() {
        Gemm.kernelColumnsA(pa, (round++ & 15) * Gemm.MR, pb, 0, Gemm.KC, c, 0, Gemm.NR * 4L, false);
        return c;
    }

    /** op(B) = the kernel (1024 x 1000), in KC x NC blocks. */
    @Benchmark
    public MemorySegment packDenseKernel() {
        return packBlocks(false, 1024, 1000);
    }

    /** op(B) = the kernel transposed (1000 x 1024), as the input-gradient product packs it. */
    @Benchmark
    public MemorySegment packDenseKernelTransposed() {
        return packBlocks(true, 1000, 1024);
    }

    MemorySegment packBlocks(boolean transB, int k, int n) {
        for (int jc = 0; jc < n; jc += Gemm.NC)
            for (int pc = 0; pc < k; pc += Gemm.KC)
                Gemm.packB(transB, dense, 0, 1000, pc, jc, Math.min(Gemm.KC, k - pc), Math.min(Gemm.NC, n - jc), scratch.packB, 0, scratch.rows);
        return scratch.packB;
    }
}
