package dev.panamacnn.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * How fast this machine streams a buffer it read before (the floor under a batch-1 dense layer, which reads its
 * whole kernel once per image): {@code ReadBandwidth [KB...]} (default 256 1024 2048 4096 65536) sums each buffer
 * with eight independent vector chains, on one thread and split in halves on two (each thread always the same half),
 * ~2 GB per measurement after two untimed ones, and prints GB/s and microseconds per pass.
 */
public final class ReadBandwidth {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static volatile float sink;

    static float sum(MemorySegment m, long from, long to) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        long v = S.length() * 4L;
        ByteOrder o = ByteOrder.nativeOrder();
        for (long at = from; at + 8 * v <= to; at += 8 * v) {
            a0 = a0.add(FloatVector.fromMemorySegment(S, m, at, o));
            a1 = a1.add(FloatVector.fromMemorySegment(S, m, at + v, o));
            a2 = a2.add(FloatVector.fromMemorySegment(S, m, at + 2 * v, o));
            a3 = a3.add(FloatVector.fromMemorySegment(S, m, at + 3 * v, o));
            a4 = a4.add(FloatVector.fromMemorySegment(S, m, at + 4 * v, o));
            a5 = a5.add(FloatVector.fromMemorySegment(S, m, at + 5 * v, o));
            a6 = a6.add(FloatVector.fromMemorySegment(S, m, at + 6 * v, o));
            a7 = a7.add(FloatVector.fromMemorySegment(S, m, at + 7 * v, o));
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] args) throws InterruptedException {
        long[] sizes = args.length > 0 ? java.util.Arrays.stream(args).mapToLong(Long::parseLong).toArray() : new long[] {256, 1024, 2048, 4096, 65536};
        System.out.println("| buffer | 1 thread GB/s | us per pass | 2 threads (halves) GB/s | us per pass |");
        System.out.println("|---|---|---|---|---|");
        for (long kb : sizes) {
            long bytes = kb << 10;
            MemorySegment m = Arena.global().allocate(bytes, 64);
            for (long i = 0; i < bytes; i += 4) m.set(ValueLayout.JAVA_FLOAT, i, 1f);
            int reps = (int) Math.max(20, (2L << 30) / bytes);
            double one = 0, two = 0;
            for (int w = 0; w < 3; w++) {
                long t0 = System.nanoTime();
                for (int r = 0; r < reps; r++) sink += sum(m, 0, bytes);
                one = (System.nanoTime() - t0) / 1e9;
            }
            for (int w = 0; w < 3; w++) {
                Thread other = new Thread(() -> { for (int r = 0; r < reps; r++) sink += sum(m, bytes / 2, bytes); });
                long t0 = System.nanoTime();
                other.start();
                for (int r = 0; r < reps; r++) sink += sum(m, 0, bytes / 2);
                other.join();
                two = (System.nanoTime() - t0) / 1e9;
            }
            System.out.printf(Locale.ROOT, "| %,d KB | %.1f | %.2f | %.1f | %.2f |%n", kb, reps * (double) bytes / one / 1e9, one / reps * 1e6,
                    reps * (double) bytes / two / 1e9, two / reps * 1e6);
        }
    }
}
