package dev.panamacnn.runtime;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool runs every chunk once; pinned chunks always land on the same worker; a single chunk leaves the pool free. */
class ParallelTest {
    @Test void everyChunkRunsOnceAndPinnedChunksKeepTheirWorker() {
        for (int threads : new int[] {1, 2, 3}) {
            try (Parallel pool = new Parallel(threads)) {
                for (int round = 0; round < 200; round++) {
                    int n = 1 + round % 9;
                    AtomicIntegerArray runs = new AtomicIntegerArray(n), worker = new AtomicIntegerArray(n);
                    pool.forEachPinned(n, (c, w) -> { runs.incrementAndGet(c); worker.set(c, w); });
                    for (int c = 0; c < n; c++) {
                        assertEquals(1, runs.get(c), "pinned chunk " + c + " of " + n + " on " + threads + " threads");
                        assertEquals(c % threads, worker.get(c), "chunk " + c + " of " + n + " ran on the wrong worker (" + threads + " threads)");
                    }
                    AtomicIntegerArray dyn = new AtomicIntegerArray(n);
                    pool.forEach(n, (c, w) -> dyn.incrementAndGet(c));
                    for (int c = 0; c < n; c++) assertEquals(1, dyn.get(c), "chunk " + c + " of " + n);
                }
            }
        }
    }

    @Test void aMultiChunkCallFromInsideAChunkIsRefusedAndThePoolStaysUsable() {
        try (Parallel pool = new Parallel(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> pool.forEach(2, (c, w) -> pool.forEachPinned(2, (c2, w2) -> {})));
            assertTrue(e.getMessage().contains("inside one of its own chunks"), e.getMessage());
            AtomicIntegerArray runs = new AtomicIntegerArray(5);
            pool.forEach(5, (c, w) -> runs.incrementAndGet(c));
            for (int c = 0; c < 5; c++) assertEquals(1, runs.get(c), "chunk " + c + " after the refused call");
        }
    }

    @Test void aSingleChunkRunsOnTheCallerAndMayUseThePool() {
        try (Parallel pool = new Parallel(2)) {
            Thread caller = Thread.currentThread();
            AtomicIntegerArray inner = new AtomicIntegerArray(4);
            pool.forEach(1, (c, w) -> {
                assertEquals(caller, Thread.currentThread());
                pool.forEachPinned(4, (c2, w2) -> inner.incrementAndGet(c2));
            });
            for (int c = 0; c < 4; c++) assertEquals(1, inner.get(c), "inner chunk " + c);
        }
    }
}
