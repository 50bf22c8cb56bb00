package dev.panamacnn.runtime;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed pool that runs {@code n} independent chunks of work on {@code threads} threads
 * (the caller is one of them). Chunks are claimed dynamically, so results must never depend on which
 * worker ran a chunk: every reduction in the engine is done over a fixed number of chunks, in chunk order,
 * after the parallel section. That is what makes training bit-identical for 1, 2 or N threads.
 */
public final class Parallel implements AutoCloseable {

    /** One chunk of work; {@code worker} is in {@code [0, threads)} and selects per-thread scratch. */
    @FunctionalInterface
    public interface Body {
        void run(int chunk, int worker);
    }

    private final int threads;
    private final Thread[] helpers;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Body body;
    private volatile int chunks;
    private volatile boolean pinned;
    /** A multi-chunk call is running: a second one from one of its chunks would overwrite its state, so it is refused. */
    private volatile boolean busy;
    private volatile long generation;
    private volatile boolean closed;
    private volatile Throwable failure;
    private volatile Thread caller;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.helpers = new Thread[threads - 1];
        for (int i = 0; i < helpers.length; i++) {
            final int id = i + 1;
            Thread t = new Thread(() -> helperLoop(id), "panama-cnn-worker-" + id);
            t.setDaemon(true);
            helpers[i] = t;
            t.start();
        }
    }

    /** The number of threads the machine offers. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    public int threads() { return threads; }

    /**
     * Runs {@code body} for chunks {@code 0..n-1} and returns when all are done. Not reentrant, with one exception: a
     * single chunk ({@code n == 1}) runs on the caller without touching the pool, so that chunk may use the pool itself
     * (a lone sample's layer splits its own work this way).
     */
    public void forEach(int n, Body body) {
        run(n, body, false);
    }

    /**
     * As {@link #forEach}, but chunk {@code i} always runs on worker {@code i % threads} (the caller is worker 0). For
     * work that reads the same data chunk by chunk on every call: each chunk's data then stays in the cache of the
     * core that read it last time, where a chunk that moves between threads must be fetched from another core's
     * cache or from memory.
     */
    public void forEachPinned(int n, Body body) {
        run(n, body, true);
    }

    private void run(int n, Body body, boolean pinned) {
        if (n <= 0) return;
        if (threads == 1 || n == 1) {
            for (int i = 0; i < n; i++) body.run(i, 0);
            return;
        }
        if (closed) throw new IllegalStateException("Parallel pool is closed");
        if (busy) throw new IllegalStateException("Parallel pool used from inside one of its own chunks (only a single-chunk call may nest)");
        busy = true;
        this.failure = null;
        this.body = body;
        this.chunks = n;
        this.pinned = pinned;
        this.caller = Thread.currentThread();
        next.set(0);
        pending.set(helpers.length);
        generation++;                       // publishes the fields above (volatile write)
        for (Thread t : helpers) LockSupport.unpark(t);
        work(0);
        int spins = 0;
        while (pending.get() > 0) {
            if (++spins < 20_000) Thread.onSpinWait(); else LockSupport.parkNanos(20_000);
        }
        this.body = null;
        busy = false;
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error e) throw e;
            throw new RuntimeException(f);
        }
    }

    private void work(int worker) {
        Body b = body;
        int n = chunks;
        try {
            if (pinned) {
                for (int i = worker; i < n && failure == null; i += threads) b.run(i, worker);
                return;
            }
            int i;
            while ((i = next.getAndIncrement()) < n) {
                if (failure != null) break;
                b.run(i, worker);
            }
        } catch (Throwable t) {
            if (failure == null) failure = t;
        }
    }

    private void helperLoop(int id) {
        long seen = 0;
        while (!closed) {
            long g = generation;
            if (g == seen) {
                int spins = 0;
                while (generation == seen && !closed) {
                    if (++spins < 20_000) Thread.onSpinWait(); else LockSupport.park(this);
                }
                continue;
            }
            seen = g;
            work(id);
            if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : helpers) LockSupport.unpark(t);
    }
}
