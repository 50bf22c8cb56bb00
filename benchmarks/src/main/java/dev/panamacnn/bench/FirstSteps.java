package dev.panamacnn.bench;

import dev.panamacnn.models.Sequential;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;

/**
 * How a fresh JVM's first training steps compare with the steady ones (the JIT's warm-up):
 * {@code FirstSteps [steps] [warm-up batch] [warm-up steps]} trains the tutorial network on random batches of 128
 * on all cores and prints the cumulative time at marked steps (468 = one MNIST epoch). With a warm-up, a throwaway
 * copy of the network (one thread) first trains that many steps of that batch size, and the total is printed with it.
 * A diagnostic for docs/performance.md ("The first epoch: the JIT's floor"), run once per JVM; not a benchmark.
 */
public final class FirstSteps {
    public static void main(String[] args) throws Exception {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 936;
        int warmBatch = args.length > 1 ? Integer.parseInt(args[1]) : 0, warmSteps = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        if (steps < 1 || warmBatch < 0 || warmSteps < 0)
            throw new IllegalArgumentException("usage: FirstSteps [steps >= 1] [warm-up batch >= 0] [warm-up steps >= 0]");
        int threads = Runtime.getRuntime().availableProcessors();
        boolean warmUp = warmBatch > 0 && warmSteps > 0;
        long w0 = System.nanoTime();
        if (warmUp) {
            Sequential twin = Batches.model(null, 1);
            try (Arena arena = Arena.ofShared(); twin) {
                var d = Batches.random(arena, warmBatch);
                for (int i = 0; i < warmSteps; i++) twin.trainOnBatch(d.x(), d.y());
            }
        }
        long w1 = System.nanoTime();
        long[] t = new long[steps + 1];
        Sequential m = Batches.model(null, threads);
        try (Arena arena = Arena.ofShared(); Sequential model = m) {
            var data = Batches.random(arena, 128);
            Tensor x = data.x(), y = data.y();
            System.out.printf("step 1 starts %d ms after the JVM (%d threads)%n", ManagementFactory.getRuntimeMXBean().getUptime(), threads);
            t[0] = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                model.trainOnBatch(x, y);
                t[i + 1] = System.nanoTime();
            }
        }
        for (int k : new int[] {1, 2, 3, 5, 10, 20, 50, 100, 200, 300, 468, 600, 936, 1404})
            if (k <= steps) System.out.printf("step %4d: %6.2f s so far, this step %7.1f ms%n", k, (t[k] - t[0]) / 1e9, (t[k] - t[k - 1]) / 1e6);
        if (steps >= 936) System.out.printf("steps 1-468 %.2f s, steps 469-936 %.2f s: %.2fx%n", (t[468] - t[0]) / 1e9,
                (t[936] - t[468]) / 1e9, (double) (t[468] - t[0]) / (t[936] - t[468]));
        if (warmUp) System.out.printf("warm-up (batch %d x %d steps) %.2f s; warm-up + %d steps %.2f s%n", warmBatch, warmSteps,
                (w1 - w0) / 1e9, steps, (t[steps] - w0) / 1e9);
    }
}
