package dev.panamacnn.optim;

import dev.panamacnn.ops.Exec;
import dev.panamacnn.ops.Reference;
import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vectorized Adam against the scalar Keras formula, over several steps and an odd parameter count. */
class AdamTest {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @Test
    void vectorAdamMatchesKerasFormula() {
        int n = 40_003;
        Rng r = new Rng(3);
        float[] p = new float[n], m = new float[n], v = new float[n];
        for (int i = 0; i < n; i++) p[i] = (float) r.nextGaussian();
        try (Arena arena = Arena.ofShared(); Exec ex = new Exec(3, arena)) {
            Adam adam = new Adam(0.01f);
            adam.build(arena, n);
            MemorySegment sp = arena.allocate(n * 4L, 64), sg = arena.allocate(n * 4L, 64);
            MemorySegment.copy(p, 0, sp, F, 0, n);
            for (int step = 1; step <= 5; step++) {
                float[] g = new float[n];
                for (int i = 0; i < n; i++) g[i] = (float) r.nextGaussian();
                MemorySegment.copy(g, 0, sg, F, 0, n);
                assertTrue(adam.update(ex, sp, sg, n), "finite step reported as finite");
                Reference.adam(p, g, m, v, step, 0.01f, 0.9f, 0.999f, 1e-7f);
            }
            assertEquals(5, adam.iterations());
            // a non-finite gradient is reported by the update itself, in the vector body and in the scalar tail
            for (long bad : new long[] {17, n - 1}) {
                MemorySegment g2 = arena.allocate(n * 4L, 64), p2 = arena.allocate(n * 4L, 64);
                g2.setAtIndex(F, bad, Float.POSITIVE_INFINITY);
                Adam fresh = new Adam();
                fresh.build(arena, n);
                assertFalse(fresh.update(ex, p2, g2, n), "infinite gradient at " + bad);
                SGD sgd = new SGD(0.1f, 0.9f);
                sgd.build(arena, n);
                g2.setAtIndex(F, bad, Float.NaN);
                assertFalse(sgd.update(ex, p2, g2, n), "NaN gradient at " + bad);
            }
            for (int i = 0; i < n; i++) {
                float got = sp.getAtIndex(F, i);
                assertEquals(p[i], got, 1e-5 * (1 + Math.abs(p[i])), "param " + i);
            }
        }
    }
}
