package dev.panamacnn.nn;

import dev.panamacnn.backend.Exec;
import dev.panamacnn.backend.Parallel;
import dev.panamacnn.data.Dataset;
import dev.panamacnn.io.Checkpoint;
import dev.panamacnn.io.ModelIO;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.ops.LossOps;
import dev.panamacnn.optim.Optimizer;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.train.Callback;
import dev.panamacnn.train.EvalResult;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.train.History;
import dev.panamacnn.train.Metric;
import dev.panamacnn.train.ProgressBar;
import dev.panamacnn.train.TrainingDivergedException;
import dev.panamacnn.util.Rng;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.nio.file.Path;

/**
 * A linear stack of layers, used like Keras' {@code Sequential}:
 * <pre>{@code
 * var model = new Sequential(new Conv2D(32, 5, 5, Activation.RELU, Shape.of(28, 28, 1)), ...);
 * model.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
 * History h = model.fit(train, 128, 10);
 * EvalResult r = model.evaluate(test);
 * }</pre>
 *
 * <p>All parameters live in one off-heap segment (one slice per tensor), their gradients in a second segment
 * of the same layout; activations and every layer's scratch are planned once per batch capacity, so a
 * training step allocates no tensors.
 */
public final class Sequential implements AutoCloseable {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private final List<Layer> layers = new ArrayList<>();
    private long seed = 42;
    private int threads = Parallel.defaultThreads();
    private Optimizer optimizer;
    private Loss loss;
    private List<Metric> metrics = List.of();
    private Shape inputShape;
    private Arena arena;
    private Exec exec;
    private MemorySegment params, grads;
    private long paramCount;
    private Plan plan;
    private dev.panamacnn.backend.Accelerator accelerator;
    /** Per-layer forward/backward nanoseconds, and the optimizer's, when profiling is on. */
    private long[] fwdNanos, bwdNanos;
    /** Whether a first-layer convolution runs fused with its max pooling ({@code -Dpanamacnn.fusion=false} turns it off, for comparisons). */
    static final boolean FUSION = !"false".equals(System.getProperty("panamacnn.fusion"));
    /** The same per worker, for layers run group by group ({@code [worker][layer]}; divided by the thread count in the profile). */
    private long[][] fwdGroupNanos, bwdGroupNanos;
    private long optNanos, profiledSteps;

    public Sequential(Layer... layers) {
        for (Layer l : layers) add(l);
    }

    public Sequential add(Layer layer) {
        if (optimizer != null) throw new IllegalStateException("add() after compile()");
        layers.add(layer);
        return this;
    }

    /** Seed for weight initialization and shuffling (default 42); call before {@code compile}. */
    public Sequential seed(long seed) { this.seed = seed; return this; }

    /** Worker threads (default: all processors). Results do not depend on this number. */
    public Sequential threads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        if (exec != null) {
            exec.close();
            exec = new Exec(threads, arena);
            if (plan != null) { plan.arena.close(); plan = null; }   // per-worker scratch is sized by the thread count
        }
        return this;
    }

    public int threadCount() { return threads; }
    public long seedValue() { return seed; }
    public List<Layer> layers() { return List.copyOf(layers); }
    public Optimizer optimizer() { return optimizer; }
    public Loss loss() { return loss; }
    public List<Metric> metrics() { return metrics; }
    public Shape inputShape() { return inputShape; }
    public Shape outputShape() { return layers.get(layers.size() - 1).outputShape(); }

    /** Builds the layers, allocates and initializes the parameters (Glorot-uniform kernels, zero biases). */
    public void compile(Optimizer optimizer, Loss loss, Metric... metrics) {
        if (optimizer == null || loss == null) throw new IllegalArgumentException("compile: optimizer and loss are required");
        if (this.optimizer != null) throw new IllegalStateException("compile() called twice");
        build();
        Layer last = layers.get(layers.size() - 1);
        if (loss == Loss.CATEGORICAL_CROSSENTROPY && (last.activation() != Activation.SOFTMAX || last.outputShape().rank() != 1)) {
            throw new IllegalArgumentException("categorical_crossentropy needs a model that ends in a softmax layer, e.g. Dense(10, Activation.SOFTMAX)");
        }
        for (Layer l : layers) paramCount += l.paramCount();
        arena = Arena.ofShared();
        params = Tensor.allocateFloats(arena, paramCount);
        grads = Tensor.allocateFloats(arena, paramCount);
        long off = 0;
        Rng rng = new Rng(seed);
        for (Layer l : layers) {
            l.bind(params, grads, off);
            for (Layer.ParamSpec p : l.paramSpecs()) {
                if (p.init() == Layer.Init.GLOROT_UNIFORM) {
                    double limit = Math.sqrt(6.0 / (p.fanIn() + p.fanOut()));
                    for (int i = 0; i < p.size(); i++) params.setAtIndex(F, off + i, (float) ((2 * rng.nextDouble() - 1) * limit));
                }
                off += p.size();
            }
        }
        optimizer.build(arena, paramCount);
        this.optimizer = optimizer;
        this.loss = loss;
        this.metrics = List.of(metrics);
        this.exec = new Exec(threads, arena);
    }

    /**
     * Names the layers and infers every shape from the first layer's input shape, without allocating anything
     * (so a model file can be checked against its weights before memory is committed). {@code compile} calls it.
     */
    public Sequential build() {
        if (layers.isEmpty()) throw new IllegalStateException("the model has no layers");
        if (inputShape != null) return this;
        Shape in = layers.get(0).declaredInputShape();
        if (in == null) {
            throw new IllegalStateException("the first layer needs an input shape, e.g. new Conv2D(32, 5, 5, Activation.RELU, Shape.of(28, 28, 1))");
        }
        Shape s = in;
        Map<String, Integer> counts = new HashMap<>();
        for (Layer l : layers) {
            String base = snake(l.kerasClassName());
            int k = counts.merge(base, 1, Integer::sum) - 1;
            l.setName(k == 0 ? base : base + "_" + k);
            s = l.build(s);
        }
        inputShape = in;
        return this;
    }

    private static String snake(String cls) {
        return cls.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    private void requireCompiled() {
        if (optimizer == null) throw new IllegalStateException("call compile() first");
    }

    public long paramCount() { return paramCount; }

    /**
     * Runs training, evaluation and prediction on {@code accelerator} from now on (null: back on the CPU engine, after
     * copying the device's weights back). The accelerator must have been made for this model.
     */
    public Sequential accelerate(dev.panamacnn.backend.Accelerator accelerator) {
        requireCompiled();
        if (this.accelerator != null && this.accelerator != accelerator) this.accelerator.download();
        this.accelerator = accelerator;
        return this;
    }

    /** The attached accelerator, or null when the CPU engine runs the model. */
    public dev.panamacnn.backend.Accelerator accelerator() { return accelerator; }

    /** Brings the host parameters and optimizer state up to date from the accelerator, if one is attached. */
    public void syncFromDevice() {
        if (accelerator != null) accelerator.download();
    }

    /**
     * The whole parameter segment (every layer's kernel, then bias, in layer order). With an accelerator attached,
     * call {@link #syncFromDevice()} first to see the device's latest values ({@code fit} and {@code save} do).
     */
    public MemorySegment parameters() { requireCompiled(); return params; }

    /** The gradient segment of the last training step (same layout as {@link #parameters()}). */
    public MemorySegment gradients() { requireCompiled(); return grads; }

    /** Offset (in floats) of layer {@code index}'s first parameter in {@link #parameters()}. */
    public long paramOffset(int index) { requireCompiled(); return layers.get(index).paramOffset; }

    /** Keras-style summary table. */
    public String summary() {
        requireCompiled();
        String rule = "_".repeat(72), dbl = "=".repeat(72);
        StringBuilder sb = new StringBuilder();
        sb.append("Model: \"sequential\"\n").append(rule).append('\n');
        sb.append(String.format(" %-32s %-25s %-12s%n", "Layer (type)", "Output Shape", "Param #"));
        sb.append(dbl).append('\n');
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            sb.append(String.format(Locale.ROOT, " %-32s %-25s %-12d%n", l.name() + " (" + l.kerasClassName() + ")",
                    l.outputShape().toKerasString(), l.paramCount()));
            if (i < layers.size() - 1) sb.append('\n');
        }
        sb.append(dbl).append('\n');
        sb.append(String.format(Locale.ROOT, "Total params: %,d%n", paramCount));
        sb.append(String.format(Locale.ROOT, "Trainable params: %,d%n", paramCount));
        sb.append("Non-trainable params: 0\n").append(rule).append('\n');
        return sb.toString();
    }

    // ---------------------------------------------------------------- planning

    /**
     * Buffers for batches of up to {@code capacity} samples, allocated once: inputs, targets, every layer's
     * output and workspace; the output gradients only once the plan is first used for training.
     */
    private final class Plan {
        final int capacity;
        final Arena arena = Arena.ofShared();
        final MemorySegment x, y;
        final MemorySegment[] acts;
        MemorySegment[] dacts;
        /**
         * {@code fused[i]}: layer i (a first-layer Conv2D) runs fused with the max pooling after it, in the
         * group-by-group schedule ({@link Conv2D#forwardPooledGroup}); its own output and output gradient are then
         * never stored, and their buffers (and the pooling's own arg-max indices) are allocated only if
         * {@link #stepParts} needs them.
         */
        final boolean[] fused;

        Plan(int capacity) {
            this.capacity = capacity;
            x = Tensor.allocateFloats(arena, (long) capacity * inputShape.size());
            y = Tensor.allocateFloats(arena, (long) capacity * outputShape().size());
            int n = layers.size();
            acts = new MemorySegment[n];
            fused = new boolean[n];
            int prefix = groupwisePrefix();
            if (FUSION && prefix >= 2 && layers.get(0) instanceof Conv2D conv && conv.fusesPool(layers.get(1))) fused[0] = true;
            for (int i = 0; i < n; i++) {
                Layer l = layers.get(i);
                acts[i] = l.inPlace() ? (i == 0 ? x : acts[i - 1])
                        : fused[i] ? null : Tensor.allocateFloats(arena, (long) capacity * l.outputShape().size());
                if (i == 0 || !fused[i - 1]) l.allocate(arena, capacity, threads);   // a fused pooling keeps no indices of its own
                if (fused[i]) ((Conv2D) l).allocateFused(arena, capacity, threads);
            }
        }

        /** The output-gradient buffers (Flatten shares its neighbour's), allocated on first use. */
        MemorySegment[] gradients() {
            if (dacts == null) {
                int n = layers.size();
                MemorySegment[] d = new MemorySegment[n];
                d[n - 1] = Tensor.allocateFloats(arena, (long) capacity * layers.get(n - 1).outputShape().size());
                for (int i = n - 1; i >= 1; i--) {
                    d[i - 1] = layers.get(i).inPlace() ? d[i]
                            : fused[i - 1] ? null : Tensor.allocateFloats(arena, (long) capacity * layers.get(i - 1).outputShape().size());
                }
                dacts = d;
            }
            return dacts;
        }

        /** Allocates the buffers a fused layer does not use, for running the layers one by one ({@link #stepParts}). */
        void unfuseBuffers() {
            MemorySegment[] d = gradients();
            for (int i = 0; i < fused.length; i++) {
                if (!fused[i]) continue;
                long size = (long) capacity * layers.get(i).outputShape().size();
                if (acts[i] == null) {
                    acts[i] = Tensor.allocateFloats(arena, size);
                    layers.get(i + 1).allocate(arena, capacity, threads);
                }
                if (d[i] == null) d[i] = Tensor.allocateFloats(arena, size);
            }
        }

        MemorySegment input(int i) { return i == 0 ? x : acts[i - 1]; }
        MemorySegment output() { return acts[acts.length - 1]; }
    }

    /** Whether the current plan runs layer {@code i} fused with the layer after it (for tests and diagnostics). */
    boolean fusedWithNext(int i) {
        return plan != null && plan.fused[i];
    }

    /** A plan for at least {@code capacity} samples (re-planned, once, when a larger batch comes). */
    /**
     * For inference: the existing plan when there is one (larger batches are then run in chunks of its capacity,
     * which gives the same results and saves memory), else a new one.
     */
    private Plan inferencePlan(int batch) {
        if (accelerator != null) return plan(Math.min(batch, accelerator.capacity()));
        return plan != null ? plan : plan(batch);
    }

    private Plan plan(int capacity) {
        if (plan == null || plan.capacity < capacity) {
            if (plan != null) plan.arena.close();
            plan = new Plan(capacity);
        }
        return plan;
    }

    // ---------------------------------------------------------------- steps

    /** Loss summed over the batch and the number of correct arg-max predictions. */
    public record StepResult(double lossSum, int correct, int n) {
        public double loss() { return lossSum / n; }
        public double accuracy() { return (double) correct / n; }
    }

    /**
     * How many leading layers run group by group ({@link Layer#groupwise}; in-place layers such as Flatten go along):
     * each sample group goes through all of them on one worker before the next, so a group's activations are
     * still in that core's cache when the next layer reads them (batch-wide, conv2d's output alone is 9.4 MB at
     * batch 128). 0 when fewer than two layers would take part. While profiling, each worker times its own layer calls.
     */
    private int groupwisePrefix() {
        int prefix = 0, real = 0;
        while (prefix < layers.size() && (layers.get(prefix).inPlace() || layers.get(prefix).groupwise())) {
            if (!layers.get(prefix).inPlace()) real++;
            prefix++;
        }
        return real >= 2 ? prefix : 0;
    }

    private void forward(Plan p, int n) {
        int prefix = groupwisePrefix();
        if (prefix > 0) {
            for (int i = 0; i < prefix; i++) {
                if (layers.get(i).inPlace()) continue;
                long t0 = fwdNanos != null ? System.nanoTime() : 0;
                layers.get(i).beforeForward(exec);
                if (fwdNanos != null) fwdNanos[i] += System.nanoTime() - t0;
            }
            int groups = Layer.groups(n);
            long[][] timers = fwdGroupNanos;
            exec.pool().forEach(groups, (g, wk) -> {
                for (int i = 0; i < prefix; i++) {
                    Layer l = layers.get(i);
                    if (l.inPlace()) continue;
                    long t0 = timers != null ? System.nanoTime() : 0;
                    if (p.fused[i]) {
                        ((Conv2D) l).forwardPooledGroup(exec, g, groups, wk, p.input(i), p.acts[i + 1], n);
                        if (timers != null) timers[wk][i] += System.nanoTime() - t0;
                        i++;   // the pooling ran with it
                        continue;
                    }
                    l.forwardGroup(exec, g, groups, wk, p.input(i), p.acts[i], n);
                    if (timers != null) timers[wk][i] += System.nanoTime() - t0;
                }
            });
        }
        for (int i = prefix; i < layers.size(); i++) {
            Layer l = layers.get(i);
            if (l.inPlace()) continue;
            long t0 = fwdNanos != null ? System.nanoTime() : 0;
            l.forward(exec, p.input(i), p.acts[i], n);
            if (fwdNanos != null) fwdNanos[i] += System.nanoTime() - t0;
        }
    }

    /**
     * The parts of one CPU training step on batch {@code (x, y)}, by name and in step order, for per-op benchmarks:
     * each layer's {@code forward} and {@code backward} (e.g. {@code conv2d_1 backward}), {@code softmax+loss} and the
     * optimizer's {@code update}. The batch is loaded once and a full step is run first, so every part finds the
     * buffers it reads filled; running a part again repeats the same work (an update moves the weights; a backward
     * pass re-applies its activation's derivative to its output gradient, which changes nothing for ReLU).
     */
    public LinkedHashMap<String, Runnable> stepParts(Tensor x, Tensor y) {
        requireCompiled();
        if (accelerator != null) throw new IllegalStateException("stepParts measures the CPU engine; detach the accelerator first");
        checkInput(x, "stepParts");
        int n = x.shape().dim(0);
        Plan p = plan(n);
        p.unfuseBuffers();
        load(p, x, y, null, 0, n);
        trainPlanned(p, n);
        LinkedHashMap<String, Runnable> parts = new LinkedHashMap<>();
        int last = layers.size() - 1;
        MemorySegment[] dacts = p.gradients();
        for (int i = 0; i <= last; i++) {
            Layer l = layers.get(i);
            if (l.inPlace()) continue;
            int li = i;
            parts.put(l.name() + " forward", () -> l.forward(exec, p.input(li), p.acts[li], n));
        }
        parts.put("softmax+loss", () -> {
            score(p, n);
            LossOps.softmaxCrossEntropyBackward(p.output(), p.y, dacts[last], n, outputShape().size(), n);
        });
        for (int i = last; i >= 0; i--) {
            Layer l = layers.get(i);
            if (l.inPlace()) continue;
            int li = i;
            // backward applies the activation's derivative to its output gradient in place; for ReLU that is a 0/1 mask,
            // so a repeated run sees the same values and does the same work
            parts.put(l.name() + " backward",
                    () -> l.backward(exec, p.input(li), p.acts[li], dacts[li], li == 0 ? null : dacts[li - 1], n, li == last));
        }
        parts.put(optimizer.name() + " update", () -> optimizer.update(exec, params, grads, paramCount));
        return parts;
    }

    /** Starts (or restarts) timing each layer's forward and backward pass and the optimizer. */
    public void enableProfiling() {
        fwdNanos = new long[layers.size()];
        bwdNanos = new long[layers.size()];
        fwdGroupNanos = new long[threads][layers.size()];
        bwdGroupNanos = new long[threads][layers.size()];
        optNanos = 0;
        profiledSteps = 0;
    }

    /** Mean milliseconds per training step spent in each layer and the optimizer since {@link #enableProfiling()}. */
    public String profile() {
        if (fwdNanos == null) return "profiling is off";
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-18s %10s %10s  (ms per step, %d steps)%n", "layer", "forward", "backward", profiledSteps));
        double st = Math.max(1, profiledSteps) * 1e6, tf = 0, tb = 0;
        for (int i = 0; i < layers.size(); i++) {
            double f = fwdNanos[i], b = bwdNanos[i];
            // group-by-group layers: each worker's own time, averaged over the workers
            for (long[] t : fwdGroupNanos) f += (double) t[i] / fwdGroupNanos.length;
            for (long[] t : bwdGroupNanos) b += (double) t[i] / bwdGroupNanos.length;
            sb.append(String.format(Locale.ROOT, "%-18s %10.2f %10.2f%n", layers.get(i).name(), f / st, b / st));
            tf += f / st; tb += b / st;
        }
        sb.append(String.format(Locale.ROOT, "%-18s %10.2f%n", optimizer.name(), optNanos / st));
        sb.append(String.format(Locale.ROOT, "%-18s %10.2f %10.2f   total %.2f%n", "sum", tf, tb, tf + tb + optNanos / st));
        return sb.toString();
    }

    private StepResult score(Plan p, int n) {
        int classes = outputShape().size();
        double lossSum = 0;
        int correct = 0;
        MemorySegment out = p.output();
        for (int r = 0; r < n; r++) {
            long o = (long) r * classes;
            lossSum += LossOps.crossEntropyRow(out, o, p.y, o, classes);
            if (LossOps.argmax(out, o, classes) == LossOps.argmax(p.y, o, classes)) correct++;
        }
        return new StepResult(lossSum, correct, n);
    }

    private StepResult trainPlanned(Plan p, int n) {
        if (accelerator != null) {
            dev.panamacnn.backend.Accelerator.Result r = accelerator.trainStep(p.x, p.y, n);
            lastUpdateFinite = r.finite();
            return new StepResult(r.lossSum(), r.correct(), n);
        }
        forward(p, n);
        StepResult r = score(p, n);
        int last = layers.size() - 1;
        MemorySegment[] dacts = p.gradients();
        LossOps.softmaxCrossEntropyBackward(p.output(), p.y, dacts[last], n, outputShape().size(), n);
        int prefix = Math.min(groupwisePrefix(), last);
        for (int i = last; i >= prefix; i--) {
            Layer l = layers.get(i);
            if (l.inPlace()) continue;
            long t0 = bwdNanos != null ? System.nanoTime() : 0;
            l.backward(exec, p.input(i), p.acts[i], dacts[i], i == 0 ? null : dacts[i - 1], n, i == last);
            if (bwdNanos != null) bwdNanos[i] += System.nanoTime() - t0;
        }
        if (prefix > 0) {
            for (int i = 0; i < prefix; i++) {
                if (layers.get(i).inPlace()) continue;
                long t0 = bwdNanos != null ? System.nanoTime() : 0;
                layers.get(i).beforeBackward(exec, i > 0);
                if (bwdNanos != null) bwdNanos[i] += System.nanoTime() - t0;
            }
            int groups = Layer.groups(n);
            long[][] timers = bwdGroupNanos;
            exec.pool().forEach(groups, (g, wk) -> {
                for (int i = prefix - 1; i >= 0; i--) {
                    Layer l = layers.get(i);
                    if (l.inPlace() || (i > 0 && p.fused[i - 1])) continue;   // a fused pooling runs with its convolution
                    long t0 = timers != null ? System.nanoTime() : 0;
                    if (p.fused[i]) {
                        ((Conv2D) l).backwardPooledGroup(exec, g, groups, wk, p.input(i), p.acts[i + 1], dacts[i + 1], n);
                    } else {
                        l.backwardGroup(exec, g, groups, wk, p.input(i), p.acts[i], dacts[i], i == 0 ? null : dacts[i - 1], n, false);
                    }
                    if (timers != null) timers[wk][i] += System.nanoTime() - t0;
                }
            });
            for (int i = 0; i < prefix; i++) {
                if (layers.get(i).inPlace()) continue;
                long t0 = bwdNanos != null ? System.nanoTime() : 0;
                layers.get(i).afterBackward(exec, n);
                if (bwdNanos != null) bwdNanos[i] += System.nanoTime() - t0;
            }
        }
        long t0 = bwdNanos != null ? System.nanoTime() : 0;
        lastUpdateFinite = optimizer.update(exec, params, grads, paramCount);
        if (bwdNanos != null) { optNanos += System.nanoTime() - t0; profiledSteps++; }
        return r;
    }

    private void load(Plan p, Tensor x, Tensor y, int[] order, int from, int n) {
        long xs = (long) inputShape.size() * 4, ys = (long) outputShape().size() * 4;
        for (int i = 0; i < n; i++) {
            int src = order == null ? from + i : order[from + i];
            MemorySegment.copy(x.segment(), src * xs, p.x, i * xs, xs);
            if (y != null) MemorySegment.copy(y.segment(), src * ys, p.y, i * ys, ys);
        }
    }

    private void checkInput(Tensor x, String what) {
        Shape s = x.shape();
        int[] d = s.dims();
        if (d.length < 2 || !Shape.of(Arrays.copyOfRange(d, 1, d.length)).equals(inputShape)) {
            throw new IllegalArgumentException(what + ": expected samples of shape " + inputShape + ", got " + s);
        }
    }

    /** One gradient step on a batch, like Keras' {@code train_on_batch}. */
    public StepResult trainOnBatch(Tensor x, Tensor y) {
        requireCompiled();
        checkInput(x, "trainOnBatch");
        int n = x.shape().dim(0);
        Plan p = plan(n);
        load(p, x, y, null, 0, n);
        return trainPlanned(p, n);
    }

    public History fit(Dataset train, int batchSize, int epochs) {
        return fit(train, FitOptions.builder().batchSize(batchSize).epochs(epochs).build());
    }

    /**
     * Trains for {@code o.epochs()} epochs of shuffled mini-batches. With a checkpoint directory, a checkpoint is
     * written at the end of every epoch (and every N steps if asked); with {@code resume}, training continues
     * from that checkpoint, and the final weights are bit-identical to an uninterrupted run.
     *
     * @throws TrainingDivergedException when the loss or a parameter becomes NaN or infinite
     * @throws UncheckedIOException when a checkpoint cannot be written or read
     */
    public History fit(Dataset train, FitOptions o) {
        requireCompiled();
        checkInput(train.x(), "fit");
        int total = train.size(), bs = o.batchSize();
        if (bs > total) throw new IllegalArgumentException("batch size " + bs + " is larger than the " + total + " training samples");
        int steps = (total + bs - 1) / bs;
        int[] order = new int[total];
        for (int i = 0; i < total; i++) order[i] = i;
        Rng shuffle = new Rng(seed ^ 0x5DEECE66DL);
        History history = new History();
        int startEpoch = 0, startStep = 0;
        double lossSum = 0;
        long correct = 0, seen = 0;
        Path ckpt = o.checkpointDir();
        if (o.resume() && Checkpoint.exists(ckpt)) {
            Checkpoint.State st;
            try {
                st = Checkpoint.restore(ckpt, this, total, bs);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            order = st.order();
            shuffle.setState(st.rngState());
            startEpoch = st.epoch();
            startStep = st.step();
            lossSum = st.lossSum(); correct = st.correct(); seen = st.seen();
            history.restore(st.history(), st.epochSeconds());
            if (accelerator != null) accelerator.upload();
        }
        Plan p = plan(bs);
        List<Callback> cbs = new ArrayList<>();
        if (o.verbose()) cbs.add(ProgressBar.toStdout());
        cbs.addAll(o.callbacks());
        for (Callback c : cbs) c.onTrainBegin(o.epochs(), steps);
        boolean stopped = false;
        for (int epoch = startEpoch; epoch < o.epochs() && !stopped; epoch++) {
            for (Callback c : cbs) c.onEpochBegin(epoch);
            long t0 = System.nanoTime();
            int first = epoch == startEpoch ? startStep : 0;
            if (first == 0) {
                if (o.shuffle()) shuffle.shuffle(order);
                lossSum = 0; correct = 0; seen = 0;
            }
            for (int step = first; step < steps; step++) {
                int from = step * bs, n = Math.min(bs, total - from);
                load(p, train.x(), train.y(), order, from, n);
                StepResult r = trainPlanned(p, n);
                checkFinite(r, epoch, step);
                lossSum += r.lossSum(); correct += r.correct(); seen += n;
                if (!cbs.isEmpty()) {
                    Map<String, Double> logs = logs(lossSum / seen, (double) correct / seen);
                    for (Callback c : cbs) c.onBatchEnd(epoch, step, logs);
                }
                boolean last = step + 1 == steps;
                boolean stop = o.stop() != null && o.stop().requested();
                if (!last && ckpt != null && (stop || (o.checkpointEverySteps() > 0 && (step + 1) % o.checkpointEverySteps() == 0))) {
                    checkpoint(ckpt, new Checkpoint.State(epoch, step + 1, o.epochs(), bs, order, shuffle.state(), lossSum, correct, seen,
                            history.history(), history.epochSeconds()));
                }
                if (stop && !last) { stopped = true; break; }
            }
            if (stopped) break;
            Map<String, Double> logs = logs(lossSum / seen, (double) correct / seen);
            if (o.validation() != null) {
                EvalResult v = evaluate(o.validation(), bs);
                logs.put("val_loss", v.loss());
                if (metrics.contains(Metric.ACCURACY)) logs.put("val_accuracy", v.accuracy());
            }
            history.add(logs, (System.nanoTime() - t0) / 1e9);
            if (ckpt != null) {
                checkpoint(ckpt, new Checkpoint.State(epoch + 1, 0, o.epochs(), bs, order, shuffle.state(), 0, 0, 0,
                        history.history(), history.epochSeconds()));
            }
            for (Callback c : cbs) c.onEpochEnd(epoch, logs);
            if (o.stop() != null && o.stop().requested()) stopped = true;
        }
        history.setStopped(stopped);
        if (accelerator != null) accelerator.download();
        for (Callback c : cbs) c.onTrainEnd(history);
        return history;
    }

    private void checkpoint(Path dir, Checkpoint.State s) {
        if (accelerator != null) accelerator.download();
        try {
            Checkpoint.write(dir, this, s);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("cannot write checkpoint in " + dir + ": " + e.getMessage(), e));
        }
    }

    /** Whether the last optimizer step saw only finite gradients and parameters. */
    private boolean lastUpdateFinite = true;

    /**
     * Stops training on a NaN or infinite loss, gradient or parameter, naming the step and the layer. The optimizer
     * checks gradients and parameters in its own pass; the scans here run only to name the culprit.
     */
    private void checkFinite(StepResult r, int epoch, int step) {
        if (Double.isFinite(r.lossSum()) && lastUpdateFinite) return;
        if (accelerator != null) accelerator.download();
        long badParam = firstNonFinite(params, paramCount);
        long badGrad = firstNonFinite(grads, paramCount);
        StringBuilder sb = new StringBuilder("training diverged at epoch ").append(epoch + 1).append(", step ").append(step + 1)
                .append(" (iteration ").append(optimizer.iterations()).append("): ");
        sb.append(Double.isFinite(r.lossSum()) ? "loss " + r.loss() : "loss is " + r.loss());
        if (badGrad >= 0) sb.append("; first non-finite gradient in ").append(paramName(badGrad));
        if (badParam >= 0) sb.append("; first non-finite parameter in ").append(paramName(badParam));
        sb.append(". Try a lower learning rate; the last checkpoint (if any) was left as it was.");
        throw new TrainingDivergedException(sb.toString());
    }

    private static long firstNonFinite(MemorySegment s, long n) {
        VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
        long i = 0;
        for (; i <= n - sp.length(); i += sp.length()) {
            FloatVector v = FloatVector.fromMemorySegment(sp, s, i * 4, java.nio.ByteOrder.nativeOrder());
            if (v.sub(v).compare(VectorOperators.NE, 0f).anyTrue()) break;
        }
        for (; i < n; i++) if (!Float.isFinite(s.getAtIndex(F, i))) return i;
        return -1;
    }

    /** {@code layer/param[index]} for a flat parameter index. */
    public String paramName(long flat) {
        for (int li = layers.size() - 1; li >= 0; li--) {
            Layer l = layers.get(li);
            if (l.paramCount() == 0 || flat < l.paramOffset) continue;
            long off = l.paramOffset;
            for (Layer.ParamSpec ps : l.paramSpecs()) {
                if (flat < off + ps.size()) return l.name() + "/" + ps.name() + "[" + (flat - off) + "]";
                off += ps.size();
            }
        }
        return "parameter " + flat;
    }

    private Map<String, Double> logs(double loss, double acc) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", loss);
        if (metrics.contains(Metric.ACCURACY)) m.put("accuracy", acc);
        return m;
    }

    public EvalResult evaluate(Dataset data) { return evaluate(data, 128); }

    /** Mean loss and accuracy over {@code data}, in batches of {@code batchSize}. */
    public EvalResult evaluate(Dataset data, int batchSize) {
        requireCompiled();
        checkInput(data.x(), "evaluate");
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1");
        Plan p = inferencePlan(Math.min(batchSize, data.size()));
        int bs = Math.min(p.capacity, batchSize);
        if (accelerator != null) bs = Math.min(bs, accelerator.capacity());
        double lossSum = 0;
        long correct = 0;
        for (int from = 0; from < data.size(); from += bs) {
            int n = Math.min(bs, data.size() - from);
            load(p, data.x(), data.y(), null, from, n);
            if (accelerator != null) {
                dev.panamacnn.backend.Accelerator.Result r = accelerator.evaluate(p.x, p.y, n);
                lossSum += r.lossSum(); correct += r.correct();
                continue;
            }
            forward(p, n);
            StepResult r = score(p, n);
            lossSum += r.lossSum(); correct += r.correct();
        }
        return new EvalResult(lossSum / data.size(), (double) correct / data.size(), data.size());
    }

    /** Output probabilities {@code (N, classes)} for inputs {@code (N, ...)}. */
    public Tensor predict(Tensor x) { return predict(x, 128); }

    public Tensor predict(Tensor x, int batchSize) {
        requireCompiled();
        checkInput(x, "predict");
        int total = x.shape().dim(0);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1");
        Plan p = inferencePlan(Math.min(batchSize, total));
        int bs = Math.min(p.capacity, batchSize);
        if (accelerator != null) bs = Math.min(bs, accelerator.capacity());
        int classes = outputShape().size();
        Tensor out = Tensor.allocate(Arena.ofAuto(), Shape.of(total, classes));
        for (int from = 0; from < total; from += bs) {
            int n = Math.min(bs, total - from);
            load(p, x, null, null, from, n);
            if (accelerator != null) {
                accelerator.predict(p.x, n, out.segment().asSlice((long) from * classes * 4, (long) n * classes * 4));
                continue;
            }
            forward(p, n);
            MemorySegment.copy(p.output(), 0, out.segment(), (long) from * classes * 4, (long) n * classes * 4);
        }
        return out;
    }

    /** Arg-max class of each prediction. */
    public int[] predictClasses(Tensor x) {
        Tensor p = predict(x);
        int n = p.shape().dim(0), c = p.shape().dim(1);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = LossOps.argmax(p.segment(), (long) i * c, c);
        return r;
    }

    /** Saves {@code model.json} and {@code weights.bin} into {@code dir}, atomically. */
    public void save(Path dir) throws IOException {
        requireCompiled();
        syncFromDevice();
        ModelIO.save(this, dir);
    }

    /** Loads a model saved with {@link #save}, validated; it predicts exactly as the saved one did. */
    public static Sequential load(Path dir) throws IOException {
        return ModelIO.load(dir);
    }

    @Override public void close() {
        if (exec != null) exec.close();
        if (plan != null) plan.arena.close();
        if (arena != null) arena.close();
        plan = null; exec = null; arena = null;
    }
}
