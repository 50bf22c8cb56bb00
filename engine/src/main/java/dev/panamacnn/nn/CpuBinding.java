package dev.panamacnn.nn;

import dev.panamacnn.runtime.WeightsVersion;
import dev.panamacnn.ops.Exec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Where a layer's CPU pair finds everything, fixed when the CPU backend plans the model: the thread pool and GEMM
 * scratch, the arena for its workspace, the batch capacity, the model's parameter and gradient segments and the
 * layer's offset in them, and its activation buffers. Buffers are looked up on each call, since the gradient
 * buffers are allocated only when the plan is first used for training.
 *
 * @param inputGradient whether the backward pass must produce the input gradient (false for the first layer with
 *     parameters or work: nothing needs the gradient w.r.t. the model's input)
 * @param weightsVersion the model's weights version, for caches derived from the weights (see {@link Step#frozen()})
 * @param preActivation whether the output gradient the backward pass gets is w.r.t. the pre-activation (the last
 *     layer: its softmax is fused with the cross-entropy)
 */
public record CpuBinding(Exec exec, Arena arena, int capacity, MemorySegment params, MemorySegment grads, long paramOffset,
                         Buffers buffers, int index, boolean inputGradient, boolean preActivation, WeightsVersion weightsVersion) {

    /** The plan's buffers by layer index. */
    public interface Buffers {
        MemorySegment input(int layer);
        MemorySegment output(int layer);
        MemorySegment outputGradient(int layer);
        /** Null where no input gradient is needed (the first layer that is not a view). */
        MemorySegment inputGradient(int layer);
    }

    public MemorySegment in() { return buffers.input(index); }
    public MemorySegment out() { return buffers.output(index); }
    public MemorySegment dOut() { return buffers.outputGradient(index); }
    public MemorySegment dIn() { return buffers.inputGradient(index); }
    public int workers() { return exec.threads(); }
}
