package dev.panamacnn.nn;

import dev.panamacnn.ops.Exec;

import java.lang.foreign.MemorySegment;

/**
 * A layer's CPU pair, bound to its buffers ({@link CpuBinding}). A layer whose work splits by sample group says so
 * with {@link #groupwise()} and implements the group hooks; the CPU backend may then run a run of such layers group by
 * group (each group through all of them before the next, its activations still in the core's cache) instead of
 * batch by batch. The arithmetic per sample and group is the same either way, so the results are bit-identical.
 */
public abstract class CpuOp implements LayerOp {
    protected final CpuBinding b;
    protected final Exec ex;
    protected final MemorySegment params, grads;
    protected final long paramOffset;
    private final String name;

    protected CpuOp(String name, CpuBinding b) {
        this.name = name;
        this.b = b;
        this.ex = b.exec();
        this.params = b.params();
        this.grads = b.grads();
        this.paramOffset = b.paramOffset();
    }

    @Override public String name() { return name; }

    /** Allocates the workspace for batches of up to {@code b.capacity()} samples on {@code b.workers()} threads. */
    public void allocate() {}

    /** Whether the layer works on each sample group on its own, through the group hooks below. */
    public boolean groupwise() { return false; }

    /** Work before the groups of a forward pass (e.g. packing weights once). */
    public void beforeForward(Step s) {}

    /** The forward pass of the samples of {@code s}'s group, on its worker. */
    public void forwardGroup(Step s) { throw new UnsupportedOperationException(name + " is not groupwise"); }

    /** Work before the groups of a backward pass. */
    public void beforeBackward(Step s) {}

    /** The backward pass of the samples of {@code s}'s group. */
    public void backwardGroup(Step s) { throw new UnsupportedOperationException(name + " is not groupwise"); }

    /** Work after the groups of a backward pass (reducing per-group weight gradients in group order). */
    public void afterBackward(Step s) {}

    /** For a groupwise layer: the hooks over every group of the batch. */
    @Override public void forward(Step s) {
        beforeForward(s);
        ex.pool().forEach(s.groups(), (g, wk) -> forwardGroup(s.inGroup(g, wk)));
    }

    /** For a groupwise layer: the hooks over every group of the batch. */
    @Override public void backward(Step s) {
        beforeBackward(s);
        ex.pool().forEach(s.groups(), (g, wk) -> backwardGroup(s.inGroup(g, wk)));
        afterBackward(s);
    }

    /**
     * A CPU op that runs this layer and {@code next} (the layer after it, bound as {@code nextOp}) together, or null
     * when there is no such fusion. The fused op is groupwise; it reads this layer's input and writes {@code next}'s
     * output, and on the backward pass takes {@code next}'s output gradient. The backend decides whether to use it
     * ({@code -Dpanamacnn.fusion=false} turns fusion off).
     */
    public CpuOp fuse(Layer next, CpuOp nextOp) { return null; }
}
