package dev.panamacnn.serve;

import dev.panamacnn.exec.Backend;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.tensor.Tensor;
import io.micrometer.core.instrument.DistributionSummary;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Dynamic batching for one model: requests (one or more instances each) wait in a bounded queue; one worker thread,
 * the only one that touches the model, takes the first, gathers more until {@code maxBatch} instances are in hand or
 * {@code maxDelayMicros} have passed since the first arrived, runs them as one engine batch on buffers planned once,
 * and answers each request with its own rows. A request with more instances than {@code maxBatch} runs on its own,
 * in chunks. Nothing is allocated per batch but each request's answer.
 */
final class Batcher implements AutoCloseable {
    /** One request: {@code n} instances in {@code x}; completes with {@code n * classes} probabilities. */
    record Job(float[] x, int n, CompletableFuture<float[]> result) {}

    /** The queue is full: the service is overloaded (503). */
    static final class Overloaded extends RuntimeException {
        Overloaded(String m) { super(m); }
    }

    private final Backend backend;
    private final int maxBatch, inSize, classes;
    private final long maxDelayNanos;
    private final BlockingQueue<Job> queue;
    private final Thread worker;
    private final MemorySegment out;
    private final Arena arena = Arena.ofShared();
    private final DistributionSummary batchSizes;
    private volatile boolean closing;
    private Job pending;

    Batcher(Sequential model, int maxBatch, long maxDelayMicros, int queueCapacity, DistributionSummary batchSizes) {
        this.backend = model.backend();
        this.inSize = model.inputShape().size();
        this.classes = model.outputShape().size();
        this.maxBatch = backend.reserve(maxBatch, false);   // the inference buffers, planned once
        this.maxDelayNanos = maxDelayMicros * 1000;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.out = Tensor.allocateFloats(arena, (long) this.maxBatch * classes);
        this.batchSizes = batchSizes;
        this.worker = Thread.ofPlatform().name("batcher-" + model.layers().get(0).name()).start(this::run);
    }

    int maxBatch() { return maxBatch; }
    int queued() { return queue.size(); }

    /** Queues {@code n} instances; the future completes with their probabilities. */
    CompletableFuture<float[]> submit(float[] x, int n) {
        if (closing) throw new Overloaded("the server is shutting down");
        Job j = new Job(x, n, new CompletableFuture<>());
        if (!queue.offer(j)) throw new Overloaded("the request queue is full (" + queue.remainingCapacity() + " free); try again");
        return j.result();
    }

    private void run() {
        List<Job> batch = new ArrayList<>();
        while (true) {
            try {
                Job first = pending != null ? pending : queue.poll(100, TimeUnit.MILLISECONDS);
                pending = null;
                if (first == null) {
                    if (closing && queue.isEmpty()) return;
                    continue;
                }
                batch.clear();
                batch.add(first);
                int count = first.n();
                long deadline = System.nanoTime() + maxDelayNanos;
                while (count < maxBatch) {
                    long wait = deadline - System.nanoTime();
                    Job j = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                    if (j == null) break;
                    if (count + j.n() > maxBatch) { pending = j; break; }
                    batch.add(j);
                    count += j.n();
                }
                runBatch(batch, count);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                for (Job j : batch) j.result().completeExceptionally(e);
            }
        }
    }

    private void runBatch(List<Job> batch, int count) {
        if (batch.size() == 1 && count > maxBatch) {   // a large request alone, in chunks
            Job j = batch.get(0);
            float[] r = new float[j.n() * classes];
            for (int from = 0; from < j.n(); from += maxBatch) {
                int n = Math.min(maxBatch, j.n() - from);
                MemorySegment.copy(j.x(), from * inSize, backend.input(), ValueLayout.JAVA_FLOAT, 0, n * inSize);
                backend.predict(n, out);
                MemorySegment.copy(out, ValueLayout.JAVA_FLOAT, 0, r, from * classes, n * classes);
                batchSizes.record(n);
            }
            j.result().complete(r);
            return;
        }
        int at = 0;
        for (Job j : batch) {
            MemorySegment.copy(j.x(), 0, backend.input(), ValueLayout.JAVA_FLOAT, (long) at * inSize * 4, j.n() * inSize);
            at += j.n();
        }
        backend.predict(count, out);
        batchSizes.record(count);
        at = 0;
        for (Job j : batch) {
            float[] r = new float[j.n() * classes];
            MemorySegment.copy(out, ValueLayout.JAVA_FLOAT, (long) at * classes * 4, r, 0, r.length);
            at += j.n();
            j.result().complete(r);
        }
    }

    /** Stops taking requests, answers the queued ones, stops the worker. */
    @Override public void close() {
        closing = true;
        try {
            worker.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        arena.close();
    }
}
