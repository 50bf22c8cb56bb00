package dev.panamacnn.nn;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.tensor.Shape;

import java.util.List;

/**
 * A layer, described once: what it is (its Keras class name and an immutable config record, which model files
 * write with Keras' field names), the shape it makes of its input, the parameter tensors it needs, and what its
 * forward pass keeps for the backward pass. How it runs is a separate object per backend, made when the backend
 * plans the model: {@link #cpu} for the CPU engine, a registered op per other backend. Shapes are per sample.
 *
 * <p>A layer is named and shaped once, when its model is built ({@link #build}); it holds no buffers.
 */
public abstract class Layer {
    private String name;
    protected Shape inputShape;
    protected Shape outputShape;

    /** Keras' class name, e.g. {@code Conv2D}; also the type name in model files ({@link LayerRegistry}). */
    public abstract String kerasClassName();

    /** The layer's settings as a record whose JSON form is Keras' {@code get_config()} (name first). */
    public abstract Record config();

    /** Validates the input shape and returns the output shape (may keep derived sizes). */
    protected abstract Shape computeOutputShape(Shape input);

    /** The parameter tensors, in their order in the model's parameter segment (kernel first, then bias). */
    public List<ParamSpec> paramSpecs() { return List.of(); }

    /** Buffers the forward pass fills for the backward pass, besides the output (e.g. max pooling's arg-max). */
    public List<Kept> kept() { return List.of(); }

    /** A buffer kept from forward to backward: {@code perSample} elements of {@code bytes} bytes each. */
    public record Kept(String name, long perSample, int bytes) {}

    public final long paramCount() {
        long n = 0;
        for (ParamSpec p : paramSpecs()) n += p.size();
        return n;
    }

    public final long trainableCount() {
        long n = 0;
        for (ParamSpec p : paramSpecs()) if (p.trainable()) n += p.size();
        return n;
    }

    /** The input shape given to the constructor (first layer only), or null. */
    public Shape declaredInputShape() { return null; }

    /** Whether the output is the input, reinterpreted (Flatten on NHWC): no op runs, the buffers are shared. */
    public boolean isView() { return false; }

    public Activation activation() { return Activation.LINEAR; }

    /**
     * The layer's CPU pair bound to {@code b}; null for a view. Called once per plan.
     */
    public abstract CpuOp cpu(CpuBinding b);

    /** Names the layer and infers its output shape from {@code input} (the model does this once, when built). */
    public final Shape build(String name, Shape input) {
        Shape out = computeOutputShape(input);
        this.name = name;
        this.inputShape = input;
        this.outputShape = out;
        return out;
    }

    public String name() { return name; }
    public Shape inputShape() { return inputShape; }
    public Shape outputShape() { return outputShape; }

    /** Keras' {@code batch_input_shape}: {@code [null, d1, d2, ...]}. */
    protected static List<Integer> batchShape(Shape s) {
        if (s == null) return null;
        List<Integer> l = new java.util.ArrayList<>();
        l.add(null);
        for (int d : s.dims()) l.add(d);
        return l;
    }
}
