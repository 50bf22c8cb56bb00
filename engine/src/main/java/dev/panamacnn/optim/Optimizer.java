package dev.panamacnn.optim;

import dev.panamacnn.ops.Exec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/** Updates the model's one parameter segment from its one gradient segment. */
public interface Optimizer {
    /** Allocates state for {@code n} parameters (called once, at compile time). */
    void build(Arena arena, long n);

    /**
     * One update step over parameters {@code [0, n)}. Element-wise, so bit-identical for any thread count.
     *
     * @return false when a gradient or an updated parameter is NaN or infinite (checked in the same pass, so
     *     the training loop's divergence guard costs nothing on good steps)
     */
    boolean update(Exec ex, MemorySegment params, MemorySegment grads, long n);

    /**
     * Limits the updates to the trainable parameters: {@code [start, end)} pairs in increasing order (null: all).
     * Called once, after {@link #build}, when the model has non-trainable tensors.
     */
    void trainable(long[] ranges);

    /** The (base) learning rate. */
    float learningRate();

    /** Sets the learning rate (callbacks such as ReduceLROnPlateau); refused for a scheduled one. */
    void setLearningRate(float lr);

    /** The learning rate of the update that follows {@code steps} updates (a schedule's value, else the constant). */
    float learningRateAt(long steps);

    /** Number of update steps taken so far. */
    long iterations();

    void setIterations(long t);

    /** State segments (e.g. Adam's m and v), for checkpoints. */
    List<MemorySegment> state();

    /** Keras-style name, e.g. {@code Adam}. */
    String name();

    Map<String, Object> config();

    /** Splits {@code [0, n)} into fixed chunks of 16K floats. */
    static int chunks(long n) { return (int) ((n + CHUNK - 1) / CHUNK); }
    long CHUNK = 16_384;
}
