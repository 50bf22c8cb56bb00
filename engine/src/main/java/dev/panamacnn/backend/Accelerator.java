package dev.panamacnn.backend;

import dev.panamacnn.nn.Sequential;

import java.lang.foreign.MemorySegment;

/**
 * A device that runs a compiled {@link Sequential}'s training plan with its parameters, gradients, optimizer state
 * and activations resident in device memory (the OpenCL backend in {@code gpu-kernels} is one). Attach it with
 * {@link Sequential#accelerate}; {@code fit}, {@code evaluate} and {@code predict} then run there, and the model's
 * host parameters are brought up to date at checkpoints, at the end of {@code fit} and on {@link #download()}.
 */
public interface Accelerator extends AutoCloseable {
    /** What runs the model, e.g. {@code OpenCL: NVIDIA H100 (GPU, ...)}. */
    String description();

    /** Copies the model's parameters and optimizer state to the device (on attach and after a resume). */
    void upload();

    /** Copies the device's parameters and optimizer state back into the model's host segments. */
    void download();

    /**
     * One training step on samples {@code [0, n)} of host batches {@code x} and {@code y} (the model's input and
     * target layouts). Only these go to the device; only the step's loss sum, correct count and finiteness come back.
     */
    Result trainStep(MemorySegment x, MemorySegment y, int n);

    /** Forward pass and scoring of {@code n} samples (no update). */
    Result evaluate(MemorySegment x, MemorySegment y, int n);

    /** Forward pass of {@code n} samples; the output probabilities are copied into {@code out}. */
    void predict(MemorySegment x, int n, MemorySegment out);

    /** Largest batch one call accepts. */
    int capacity();

    /** Loss summed over the batch, number of correct arg-max predictions, and whether the update stayed finite. */
    record Result(double lossSum, int correct, boolean finite) {}

    @Override void close();
}
