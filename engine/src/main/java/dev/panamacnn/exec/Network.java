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
        this(plan, optimizer, loss, metrics, seed, true);
    }

    /**
     * As above; with {@code initialize} false the parameters are left at zero, for a caller that writes every one of
     * them next (a model read from its file, where the random draw was wasted work on every one-image {@code predict}).
     */
    public Network(Plan plan, Optimizer optimizer, Loss loss, List<Metric> metrics, long seed, boolean initialize) {
        if (optimizer == null || loss == null) throw new IllegalArgumentException("compile: optimizer and loss are required");
        Layer last = plan.layer(plan.size() - 1);
        if (loss.kind() != Loss.Kind.BINARY && (last.activation() != Activation.SOFTMAX || last.outputShape().rank() != 1)) {
            throw new IllegalArgumentException(loss.kerasName() + " needs a model that ends in a softmax layer over a flat output, e.g. Dense(10, Activation.SOFTMAX)");
        }
        if (loss.kind() == Loss.Kind.BINARY && (last.activation() != Activation.SIGMOID || last.outputShape().size() != 1)) {
            throw new IllegalArgumentException("binary_crossentropy needs a model that ends in one sigmoid unit, e.g. Dense(1, Activation.SIGMOID)");
        }
        for (Metric m : metrics) {
            if (loss.kind() == Loss.Kind.BINARY && m != Metric.ACCURACY) throw new IllegalArgumentException("metric " + m.kerasName() + " does not apply to binary_crossentropy");
            boolean sparseMetric = m == Metric.SPARSE_CATEGORICAL_ACCURACY || m == Metric.SPARSE_TOP_K_CATEGORICAL_ACCURACY;
            boolean denseMetric = m == Metric.CATEGORICAL_ACCURACY || m == Metric.TOP_K_CATEGORICAL_ACCURACY;
            if ((sparseMetric && loss.kind() != Loss.Kind.SPARSE_CATEGORICAL) || (denseMetric && loss.kind() != Loss.Kind.CATEGORICAL)) {
                throw new IllegalArgumentException("metric " + m.kerasName() + " does not match the loss " + loss.kerasName() + " (its targets are "
                        + (loss.kind() == Loss.Kind.SPARSE_CATEGORICAL ? "integer labels" : "one-hot") + ")");
            }
        }
        this.plan = plan;
        this.optimizer = optimizer;
        this.loss = loss;
        this.metrics = List.copyOf(metrics);
        this.seed = seed;
        long count = plan.paramCount();
        params = Tensor.allocateFloats(arena, count);
        grads = Tensor.allocateFloats(arena, count);
        if (initialize) initialize(plan, params, seed);
        optimizer.build(arena, count);
        long[] trainable = plan.trainableRanges();
        if (trainable != null) optimizer.trainable(trainable);
    }

    /** Each parameter by its spec's initializer (Glorot-uniform kernels, zero biases, ...), drawn from {@code seed} in plan order. */
    private static void initialize(Plan plan, MemorySegment params, long seed) {
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
                case HE_UNIFORM, LECUN_UNIFORM -> {
                    double limit = Math.sqrt((s.init() == ParamSpec.Init.HE_UNIFORM ? 6.0 : 3.0) / Math.max(1, s.fanIn()));
                    for (int i = 0; i < s.size(); i++) params.setAtIndex(ValueLayout.JAVA_FLOAT, off + i, (float) ((2 * rng.nextDouble() - 1) * limit));
                }
                case GLOROT_NORMAL, HE_NORMAL, LECUN_NORMAL -> {
                    double var = switch (s.init()) {
                        case GLOROT_NORMAL -> 2.0 / Math.max(1, s.fanIn() + s.fanOut());
                        case HE_NORMAL -> 2.0 / Math.max(1, s.fanIn());
                        default -> 1.0 / Math.max(1, s.fanIn());
                    };
                    double std = Math.sqrt(var) / 0.87962566103423978;
                    for (int i = 0; i < s.size(); i++) {
                        double g;
                        do { g = rng.nextGaussian(); } while (Math.abs(g) > 2);   // truncated at two standard deviations
                        params.setAtIndex(ValueLayout.JAVA_FLOAT, off + i, (float) (g * std));
                    }
                }
            }
        }
    }

    public Plan plan() { return plan; }
    public List<Layer> layers() { return plan.layers(); }
    public Optimizer optimizer() { return optimizer; }
    public Loss loss() { return loss; }
    public List<Metric> metrics() { return metrics; }
    public long seed() { return seed; }
    public long paramCount() { return plan.paramCount(); }

    private final dev.panamacnn.runtime.WeightsVersion weightsVersion = new dev.panamacnn.runtime.WeightsVersion();

    /**
     * The parameter segment: every layer's tensors in layer order ({@link Plan#params()}). Whoever asks for it may
     * write into it, so each call moves the {@linkplain #weightsVersion() weights version} on; code that keeps the
     * segment and writes into it later calls {@code weightsVersion().bump()} after writing.
     */
    public MemorySegment parameters() { weightsVersion.bump(); return params; }

    /** The weights version, for caches derived from the weights; reading it changes nothing. */
    public dev.panamacnn.runtime.WeightsVersion weightsVersion() { return weightsVersion; }

    /** The gradient segment, same layout. */
    public MemorySegment gradients() { return grads; }

    @Override public void close() { arena.close(); }
}
