package dev.panamacnn.exec;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;

/**
 * What runs a {@link Network}: the CPU engine ({@link CpuBackend}), the OpenCL backend, and any other. A backend plans
 * the network's {@link Plan} on its memory, binds one op per layer to it, and from then on keeps whatever state it
 * needs (on a device: parameters, gradients, optimizer state and activations, resident). The trainer only ever talks
 * to this interface: it writes a batch into the host buffers {@link #input()} and {@link #target()}, calls a step,
 * and gets a few scalars back.
 */
public interface Backend extends AutoCloseable {
    /** What runs the model, with the reason it was chosen where that applies, e.g. {@code OpenCL: NVIDIA H100 (GPU, ...)}. */
    String description();

    /**
     * Makes room for batches of {@code n} samples and returns the batch size the next calls take (at most {@code n};
     * less where the backend holds fewer, and then the caller runs the data in chunks of that size).
     *
     * @param training whether the batches are for {@link #trainStep} (which must take all {@code n})
     * @throws IllegalArgumentException when {@code training} and the backend cannot take {@code n} samples at once
     */
    int reserve(int n, boolean training);

    /** Host buffer of the next batch's inputs (samples in the model's input layout), valid until the next {@link #reserve}. */
    MemorySegment input();

    /** Host buffer of the next batch's one-hot targets. */
    MemorySegment target();

    /** One training step on samples {@code [0, n)} of {@link #input()} and {@link #target()}. */
    StepResult trainStep(int n);

    /** Forward pass and scoring of {@code n} samples (no update). */
    StepResult evaluate(int n);

    /** Forward pass of {@code n} samples; the output probabilities are copied into {@code out}. */
    void predict(int n, MemorySegment out);

    /** Copies the backend's parameters and optimizer state into the network's host segments (a no-op on the CPU). */
    void pullState();

    /** Copies the network's host parameters and optimizer state to the backend (after a resume; a no-op on the CPU). */
    void pushState();

    /**
     * The parts of one training step by name and in step order (e.g. {@code conv2d_1 forward}, {@code softmax+loss},
     * {@code Adam update}), for per-op benchmarks and profiles. Call after a {@link #trainStep} of {@code n}
     * samples so that every part finds its buffers filled; a part run again repeats the same work.
     */
    LinkedHashMap<String, Runnable> parts(int n);

    /** Waits for queued device work (a no-op on the CPU). */
    default void finish() {}

    @Override void close();
}
