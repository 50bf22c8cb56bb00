package dev.panamacnn.exec;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.ParamSpec;
import dev.panamacnn.optim.Optimizer;
import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A compiled model's state on the host, which every backend starts from and writes back to: the plan, the one
 * parameter segment and the one gradient segment (same layout), the optimizer and its state, the loss, the metrics
 * and the seed. Model files and checkpoints are written from it and read into it.
 */
public final class Network implements AutoCloseable {
    private final Plan plan;
    private final Optimizer optimizer;
    private final Loss loss;
    private final List<Metric> metrics;
    private final long seed;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment params, grads;

    /**
     * Allocates and initializes the parameters (Glorot-uniform kernels from {@code seed}, zero biases) and the
     * optimizer's state.
     *
     * @throws IllegalArgumentException when the loss does not fit the model's output
     */
    public Network(Plan plan, Optimizer optimizer, Loss loss, List<Metric> metrics, long seed) {
        if (optimizer == null || loss == null) throw new IllegalArgumentException("compile: optimizer and loss are required");
        Layer last = plan.layer(plan.size() - 1);
        if (loss == Loss.CATEGORICAL_CROSSENTROPY && (last.activation() != Activation.SOFTMAX || last.outputShape().rank() != 1)) {
            throw new IllegalArgumentException("categorical_crossentropy needs a model that ends in a softmax layer, e.g. Dense(10, Activation.SOFTMAX)");
        }
        this.plan = plan;
        this.optimizer = optimizer;
        this.loss = loss;
        this.metrics = List.copyOf(metrics);
        this.seed = seed;
        long count = plan.paramCount();
        params = Tensor.allocateFloats(arena, count);
        grads = Tensor.allocateFloats(arena, count);
        Rng rng = new Rng(seed);
        for (Plan.Param p : plan.params()) {
            ParamSpec s = p.spec();
            long off = p.offset();
            switch (s.init()) {
                case GLOROT_UNIFORM -> {
                    double limit = Math.sqrt(6.0 / (s.fanIn() + s.fanOut()));
                    for (int i = 0; i < s.size(); i++) params.setAtIndex(ValueLayout.JAVA_FLOAT, off + i, (float) ((2 * rng.nextDouble() - 1) * limit));
                }
                case ONES -> { for (int i = 0; i < s.size(); i++) params.setAtIndex(ValueLayout.JAVA_FLOAT, off + i, 1f); }
                case ZEROS -> { }
            }
        }
        optimizer.build(arena, count);
    }

    public Plan plan() { return plan; }
    public List<Layer> layers() { return plan.layers(); }
    public Optimizer optimizer() { return optimizer; }
    public Loss loss() { return loss; }
    public List<Metric> metrics() { return metrics; }
    public long seed() { return seed; }
    public long paramCount() { return plan.paramCount(); }

    /** The parameter segment: every layer's tensors in layer order ({@link Plan#params()}). */
    public MemorySegment parameters() { return params; }

    /** The gradient segment, same layout. */
    public MemorySegment gradients() { return grads; }

    @Override public void close() { arena.close(); }
}
