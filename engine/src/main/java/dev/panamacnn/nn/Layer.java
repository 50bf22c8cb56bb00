package dev.panamacnn.nn;

import dev.panamacnn.backend.Exec;
import dev.panamacnn.tensor.Shape;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer of a {@link Sequential} model. Shapes here are per sample (no batch dimension).
 *
 * <p>A layer's parameters live in the model's one contiguous parameter segment; {@link #paramSpecs()} says
 * what it needs (kernel first, then bias) and {@link #bind} tells it where they are. Its gradients have the same
 * offsets in the gradient segment.
 */
public abstract class Layer {
    private String name;
    protected Shape inputShape;
    protected Shape outputShape;
    protected MemorySegment params;
    protected MemorySegment grads;
    protected long paramOffset;

    /** One parameter tensor: its shape and how to initialize it. */
    public record ParamSpec(String name, Shape shape, Init init, int fanIn, int fanOut) {
        public int size() { return shape.size(); }
    }

    public enum Init { GLOROT_UNIFORM, ZEROS }

    /** Keras' class name, e.g. {@code Conv2D}. */
    public abstract String kerasClassName();

    /** Validates the input shape and returns the output shape. */
    protected abstract Shape computeOutputShape(Shape input);

    public List<ParamSpec> paramSpecs() { return List.of(); }

    public final long paramCount() {
        long n = 0;
        for (ParamSpec p : paramSpecs()) n += p.size();
        return n;
    }

    /** The input shape given to the constructor (first layer only), or null. */
    public Shape declaredInputShape() { return null; }

    /** Layers whose output is their input (Flatten on NHWC): no copy, gradient passes through. */
    public boolean inPlace() { return false; }

    public Activation activation() { return Activation.LINEAR; }

    /** The layer's settings, named as in Keras' {@code get_config()}. */
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        return m;
    }

    final Shape build(Shape input) {
        this.inputShape = input;
        this.outputShape = computeOutputShape(input);
        return outputShape;
    }

    final void bind(MemorySegment params, MemorySegment grads, long offset) {
        this.params = params;
        this.grads = grads;
        this.paramOffset = offset;
    }

    /** Allocates the layer's workspace for batches of up to {@code batch} samples and {@code workers} threads. */
    void allocate(Arena arena, int batch, int workers) {}

    /** Computes the outputs of samples {@code [0, n)}. */
    abstract void forward(Exec ex, MemorySegment in, MemorySegment out, int n);

    /**
     * Given {@code dOut} (w.r.t. the output, or w.r.t. the pre-activation when {@code preActivation}), writes the
     * parameter gradients (overwriting) and, when {@code dIn} is not null, the gradient w.r.t. the input.
     * May overwrite {@code dOut}.
     */
    abstract void backward(Exec ex, MemorySegment in, MemorySegment out, MemorySegment dOut, MemorySegment dIn,
                           int n, boolean preActivation);

    /**
     * Whether the layer works on each sample group on its own ({@link #groups}), through {@link #forwardGroup} and
     * {@link #backwardGroup}: then a run of such layers can take one group through all of them before the next
     * group (its activations still in the core's cache) instead of the whole batch through one layer at a time.
     * The arithmetic per sample and per group is the same either way, so the results are bit-identical.
     */
    boolean groupwise() { return false; }

    /** Work before the groups of a forward pass (packing weights); only for {@link #groupwise} layers. */
    void beforeForward(Exec ex) {}

    /** The forward pass of the samples of group {@code g} on worker {@code worker}; only for {@link #groupwise} layers. */
    void forwardGroup(Exec ex, int g, int groups, int worker, MemorySegment in, MemorySegment out, int n) {
        throw new UnsupportedOperationException(name + " is not groupwise");
    }

    /** Work before the groups of a backward pass; only for {@link #groupwise} layers. */
    void beforeBackward(Exec ex, boolean inputGradient) {}

    /** The backward pass of the samples of group {@code g}; only for {@link #groupwise} layers. */
    void backwardGroup(Exec ex, int g, int groups, int worker, MemorySegment in, MemorySegment out, MemorySegment dOut,
                       MemorySegment dIn, int n, boolean preActivation) {
        throw new UnsupportedOperationException(name + " is not groupwise");
    }

    /** Work after the groups of a backward pass (reducing per-group weight gradients); only for {@link #groupwise} layers. */
    void afterBackward(Exec ex, int n) {}

    public String name() { return name; }
    void setName(String name) { this.name = name; }
    public Shape inputShape() { return inputShape; }
    public Shape outputShape() { return outputShape; }

    /** Number of sample groups for a batch of n: fixed by n alone, never by the thread count. */
    static int groups(int n) { return Math.min(n, 16); }
    static int groupStart(int g, int groups, int n) { return (int) ((long) g * n / groups); }
}
