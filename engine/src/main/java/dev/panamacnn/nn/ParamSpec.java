package dev.panamacnn.nn;

import dev.panamacnn.tensor.Shape;

/**
 * One parameter tensor of a layer: its name ({@code kernel}, {@code bias}), shape, initializer, fans for the
 * initializer, and whether the optimizer trains it. Non-trainable tensors (e.g. a batch normalization's moving
 * statistics) are state that files and checkpoints keep and that the optimizer never touches.
 */
public record ParamSpec(String name, Shape shape, Init init, int fanIn, int fanOut, boolean trainable) {
    public enum Init { GLOROT_UNIFORM, ZEROS, ONES }

    /** A trainable tensor. */
    public ParamSpec(String name, Shape shape, Init init, int fanIn, int fanOut) { this(name, shape, init, fanIn, fanOut, true); }

    public int size() { return shape.size(); }
}
