package dev.panamacnn.ops;

import dev.panamacnn.runtime.Parallel;

import java.lang.foreign.Arena;

/** What every op needs to run: the thread pool and the per-worker GEMM packing buffers. */
public final class Exec implements AutoCloseable {
    private final Parallel pool;
    private final Gemm.Scratch[] gemm;

    public Exec(int threads, Arena arena) {
        this.pool = new Parallel(threads);
        this.gemm = new Gemm.Scratch[threads];
        for (int i = 0; i < threads; i++) gemm[i] = new Gemm.Scratch(arena);
    }

    public Parallel pool() { return pool; }
    public Gemm.Scratch[] gemmScratch() { return gemm; }
    public int threads() { return pool.threads(); }

    @Override public void close() { pool.close(); }
}
