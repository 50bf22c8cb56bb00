package dev.panamacnn.runtime;

/**
 * A model's weights version: a counter that every change to the parameter segment moves on (a training step, a
 * load, a restore, a copy back from a device, and any hand-out of the live segment to code outside the engine).
 * Inference caches that depend on the weights (a layer's kernel packed for the latency path) are kept while the
 * version they were made at is current, and made again when it is not.
 */
public final class WeightsVersion {
    private volatile long version;

    /** The current version. */
    public long get() { return version; }

    /** Marks the weights as changed. */
    public void bump() { version++; }
}
