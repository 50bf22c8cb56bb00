package dev.panamacnn.exec;

import dev.panamacnn.nn.CpuBinding;
import dev.panamacnn.nn.CpuOp;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.Step;
import dev.panamacnn.ops.Exec;
import dev.panamacnn.optim.Optimizer;
import dev.panamacnn.runtime.Flags;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;

/**
 * The CPU engine as a backend: each layer's {@link CpuOp} bound to host buffers planned for a batch capacity, run
 * by a fixed thread pool under the determinism rule (sample groups fixed by the batch size, ordered reductions).
 *
 * <p>Its schedule has two rules of its own. A leading run of groupwise layers runs group by group: each sample group
 * goes through all of them on one worker before the next, so a group's activations are still in that core's cache
 * when the next layer reads them. And a layer may fuse with the next one ({@link CpuOp#fuse}; the first convolution
 * with its 2 x 2 max pooling), so that the first one's outputs are never stored. Both give bit-identical results.
 */
public final class CpuBackend implements Backend {
    private final Network net;
    private final Plan plan;
    private final List<Layer> layers;
    private final Arena scratchArena = Arena.ofShared();
    private int threads;
    private Exec exec;
    private Buffers buffers;
    /** Per-layer forward/backward nanoseconds, and the optimizer's, when profiling is on. */
    private long[] fwdNanos, bwdNanos;
    /** The same per worker, for layers run group by group ({@code [worker][layer]}; divided by the thread count in the profile). */
    private long[][] fwdGroupNanos, bwdGroupNanos;
    private long optNanos, profiledSteps;

    /** Whether a top-k metric is compiled in (decided once, not per step). */
    private final boolean topK;

    public CpuBackend(Network net, int threads) {
        this.net = net;
        this.topK = net.metrics().stream().anyMatch(dev.panamacnn.loss.Metric::topK);
        this.plan = net.plan();
        this.layers = plan.layers();
        this.threads = threads;
        this.exec = new Exec(threads, scratchArena);
    }

    @Override public String description() { return "CPU engine (" + threads + " threads)"; }

    /** Changes the worker count; the buffers are planned again on the next call (per-worker scratch depends on it). */
    public void threads(int threads) {
        if (threads == this.threads) return;
        exec.close();
        this.threads = threads;
        exec = new Exec(threads, scratchArena);
        if (buffers != null) { buffers.arena.close(); buffers = null; }
    }

    public int threads() { return threads; }

    // ---------------------------------------------------------------- buffers

    /**
     * Buffers for batches of up to {@code capacity} samples, allocated once: inputs, targets, every layer's output and
     * workspace; the output gradients only once the buffers are first used for training. Each layer's op is bound
     * to them here.
     */
    private final class Buffers implements CpuBinding.Buffers {
        final int capacity;
        final Arena arena = Arena.ofShared();
        final MemorySegment x, y;
        final MemorySegment[] acts;
        MemorySegment[] dacts;
        /** Each layer's op (null for a view). */
        final CpuOp[] ops;
        /** What the schedule runs at each position: the op, a fused pair at its first layer, or null (a view, or covered by a pair). */
        final CpuOp[] run;
        /** {@code fused[i]}: layers i and i + 1 run as one op; layer i's output and output gradient are then never stored. */
        final boolean[] fused;
        /** How many leading layers run group by group (0 when fewer than two real layers would take part). */
        final int prefix;
        boolean unfused;

        Buffers(int capacity) {
            this.capacity = capacity;
            int n = layers.size();
            x = Tensor.allocateFloats(arena, (long) capacity * plan.inputSize());
            y = Tensor.allocateFloats(arena, (long) capacity * plan.outputSize());
            ops = new CpuOp[n];
            for (int i = 0; i < n; i++) {
                ops[i] = layers.get(i).isView() ? null : layers.get(i).cpu(new CpuBinding(exec, arena, capacity, net.parameters(), net.gradients(),
                        plan.paramOffset(i), this, i, plan.needsInputGradient(i), i == n - 1, net.weightsVersion()));
            }
            int p = 0, real = 0;
            while (p < n && (ops[p] == null || ops[p].groupwise())) {
                if (ops[p] != null) real++;
                p++;
            }
            prefix = real >= 2 ? p : 0;
            fused = new boolean[n];
            run = ops.clone();
            if (Flags.FUSION) {
                for (int i = 0; i + 1 < prefix; i++) {
                    if (ops[i] == null || ops[i + 1] == null) continue;
                    CpuOp pair = ops[i].fuse(layers.get(i + 1), ops[i + 1]);
                    if (pair == null) continue;
                    fused[i] = true;
                    run[i] = pair;
                    run[i + 1] = null;
                    i++;
                }
            }
            acts = new MemorySegment[n];
            for (int i = 0; i < n; i++) {
                acts[i] = layers.get(i).isView() ? (i == 0 ? x : acts[i - 1])
                        : fused[i] ? null : Tensor.allocateFloats(arena, (long) capacity * plan.outputSize(i));
                if (ops[i] != null && (i == 0 || !fused[i - 1])) ops[i].allocate();   // a fused pooling keeps no indices of its own
                if (fused[i]) run[i].allocate();
            }
        }

        /** The output-gradient buffers (a view shares its neighbour's), allocated on first use. */
        MemorySegment[] gradients() {
            if (dacts == null) {
                int n = layers.size();
                MemorySegment[] d = new MemorySegment[n];
                for (int i = n - 1; i >= 0; i--) {
                    d[i] = !plan.ownsGradient(i) ? d[plan.gradientOwner(i)]
                            : fused[i] ? null : Tensor.allocateFloats(arena, (long) capacity * plan.outputSize(i));
                }
                dacts = d;
            }
            return dacts;
        }

        /** Allocates the buffers a fused pair does not use, for running the layers one by one ({@link #parts}). */
        void unfuse() {
            MemorySegment[] d = gradients();
            for (int i = 0; i < fused.length; i++) {
                if (!fused[i] || unfused) continue;
                long size = (long) capacity * plan.outputSize(i);
                acts[i] = Tensor.allocateFloats(arena, size);
                ops[i + 1].allocate();
                d[i] = Tensor.allocateFloats(arena, size);
            }
            unfused = true;
        }

        @Override public MemorySegment input(int i) { return i == 0 ? x : acts[i - 1]; }
        @Override public MemorySegment output(int i) { return acts[i]; }
        @Override public MemorySegment outputGradient(int i) { return dacts[i]; }
        @Override public MemorySegment inputGradient(int i) { return plan.needsInputGradient(i) ? dacts[i - 1] : null; }
        MemorySegment output() { return acts[acts.length - 1]; }
    }

    private Buffers buffers(int capacity) {
        if (buffers == null || buffers.capacity < capacity) {
            if (buffers != null) buffers.arena.close();
            buffers = new Buffers(capacity);
        }
        return buffers;
    }

    /**
     * Training: buffers for at least {@code n} (planned again, once, when a larger batch comes). Inference: the existing
     * buffers when there are some (a larger batch then runs in chunks of their capacity, which gives the same
     * results and saves memory), else new ones for {@code n}.
     */
    @Override public int reserve(int n, boolean training) {
        if (n < 1) throw new IllegalArgumentException("batch size must be >= 1");
        if (training || buffers == null) return Math.min(n, buffers(n).capacity);
        return Math.min(n, buffers.capacity);
    }

    private Buffers current() {
        if (buffers == null) throw new IllegalStateException("call reserve() first");
        return buffers;
    }

    @Override public MemorySegment input() { return current().x; }
    @Override public MemorySegment target() { return current().y; }

    /** Whether the current buffers run layer {@code i} fused with the layer after it (for tests and diagnostics). */
    public boolean fusedWithNext(int i) { return buffers != null && buffers.fused[i]; }

    // ---------------------------------------------------------------- steps

    private void forward(Buffers p, Step st) {
        int prefix = p.prefix;
        CpuOp[] run = p.run;
        if (prefix > 0) {
            for (int i = 0; i < prefix; i++) {
                if (run[i] == null) continue;
                long t0 = fwdNanos != null ? System.nanoTime() : 0;
                run[i].beforeForward(st);
                if (fwdNanos != null) fwdNanos[i] += System.nanoTime() - t0;
            }
            long[][] timers = fwdGroupNanos;
            exec.pool().forEach(st.groups(), (g, wk) -> {
                Step gs = st.inGroup(g, wk);
                for (int i = 0; i < prefix; i++) {
                    if (run[i] == null) continue;
                    long t0 = timers != null ? System.nanoTime() : 0;
                    run[i].forwardGroup(gs);
                    if (timers != null) timers[wk][i] += System.nanoTime() - t0;
                }
            });
        }
        for (int i = prefix; i < layers.size(); i++) {
            if (run[i] == null) continue;
            long t0 = fwdNanos != null ? System.nanoTime() : 0;
            run[i].forward(st);
            if (fwdNanos != null) fwdNanos[i] += System.nanoTime() - t0;
        }
    }

    private StepResult score(Buffers p, int n, boolean finite) {
        int classes = plan.outputSize(), tw = net.loss().targetWidth(classes);
        boolean topK = this.topK;
        double lossSum = 0;
        int correct = 0, inTopK = 0;
        MemorySegment out = p.output();
        dev.panamacnn.loss.Loss loss = net.loss();
        for (int r = 0; r < n; r++) {
            long o = (long) r * classes, t = (long) r * tw;
            lossSum += loss.rowLoss(out, o, p.y, t, classes);
            if (loss.correct(out, o, p.y, t, classes)) correct++;
            if (topK && loss.inTopK(out, o, p.y, t, classes, dev.panamacnn.loss.Metric.TOP_K)) inTopK++;
        }
        return new StepResult(lossSum, correct, n, finite, topK ? inTopK : -1);
    }

    private void checkBatch(Buffers p, int n) {
        if (n < 1 || n > p.capacity) throw new IllegalArgumentException("batch of " + n + " samples; the CPU buffers hold 1 to " + p.capacity);
    }

    @Override public StepResult trainStep(int n) {
        Buffers p = current();
        checkBatch(p, n);
        Optimizer opt = net.optimizer();
        Step st = Step.of(n, true, opt.iterations() + 1);
        forward(p, st);
        StepResult r = score(p, n, true);
        int last = layers.size() - 1;
        MemorySegment[] dacts = p.gradients();
        net.loss().gradient(p.output(), p.y, dacts[last], n, plan.outputSize(), n);
        CpuOp[] run = p.run;
        int prefix = Math.min(p.prefix, last);
        for (int i = last; i >= prefix; i--) {
            if (run[i] == null) continue;
            long t0 = bwdNanos != null ? System.nanoTime() : 0;
            run[i].backward(st);
            if (bwdNanos != null) bwdNanos[i] += System.nanoTime() - t0;
        }
        if (prefix > 0) {
            for (int i = 0; i < prefix; i++) {
                if (run[i] == null) continue;
                long t0 = bwdNanos != null ? System.nanoTime() : 0;
                run[i].beforeBackward(st);
                if (bwdNanos != null) bwdNanos[i] += System.nanoTime() - t0;
            }
            long[][] timers = bwdGroupNanos;
            exec.pool().forEach(st.groups(), (g, wk) -> {
                Step gs = st.inGroup(g, wk);
                for (int i = prefix - 1; i >= 0; i--) {
                    if (run[i] == null) continue;
                    long t0 = timers != null ? System.nanoTime() : 0;
                    run[i].backwardGroup(gs);
                    if (timers != null) timers[wk][i] += System.nanoTime() - t0;
                }
            });
            for (int i = 0; i < prefix; i++) {
                if (run[i] == null) continue;
                long t0 = bwdNanos != null ? System.nanoTime() : 0;
                run[i].afterBackward(st);
                if (bwdNanos != null) bwdNanos[i] += System.nanoTime() - t0;
            }
        }
        long t0 = bwdNanos != null ? System.nanoTime() : 0;
        boolean finite = opt.update(exec, net.parameters(), net.gradients(), net.paramCount());
        if (bwdNanos != null) { optNanos += System.nanoTime() - t0; profiledSteps++; }
        return new StepResult(r.lossSum(), r.correct(), n, finite, r.topK());
    }

    @Override public StepResult evaluate(int n) {
        Buffers p = current();
        checkBatch(p, n);
        forward(p, Step.of(n, false, net.optimizer().iterations()));
        return score(p, n, true);
    }

    @Override public void predict(int n, MemorySegment out) {
        Buffers p = current();
        checkBatch(p, n);
        forward(p, Step.predict(n, net.optimizer().iterations()));
        if (fwdNanos != null) profiledSteps++;
        MemorySegment.copy(p.output(), 0, out, 0, (long) n * plan.outputSize() * 4);
    }

    @Override public void pullState() {}
    @Override public void pushState() {}

    /**
     * Each layer's {@code forward} and {@code backward} (e.g. {@code conv2d_1 backward}), run one by one (a fused pair
     * as its two layers), {@code softmax+loss} and the optimizer's {@code update}. A backward part re-applies its
     * activation's derivative to its output gradient, which changes nothing for ReLU, so a repeated run does the same work.
     */
    @Override public LinkedHashMap<String, Runnable> parts(int n) {
        Buffers p = current();
        checkBatch(p, n);
        p.unfuse();
        Optimizer opt = net.optimizer();
        Step st = Step.of(n, true, Math.max(1, opt.iterations()));
        LinkedHashMap<String, Runnable> parts = new LinkedHashMap<>();
        int last = layers.size() - 1;
        for (int i = 0; i <= last; i++) {
            CpuOp op = p.ops[i];
            if (op != null) parts.put(op.name() + " forward", () -> op.forward(st));
        }
        parts.put("softmax+loss", () -> {
            score(p, n, true);
            net.loss().gradient(p.output(), p.y, p.dacts[last], n, plan.outputSize(), n);
        });
        for (int i = last; i >= 0; i--) {
            CpuOp op = p.ops[i];
            if (op != null) parts.put(op.name() + " backward", () -> op.backward(st));
        }
        parts.put(opt.name() + " update", () -> opt.update(exec, net.parameters(), net.gradients(), net.paramCount()));
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
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-18s %10s %10s  (ms per step or predict call, %d)%n", "layer", "forward", "backward", profiledSteps));
        double st = Math.max(1, profiledSteps) * 1e6, tf = 0, tb = 0;
        for (int i = 0; i < layers.size(); i++) {
            double f = fwdNanos[i], b = bwdNanos[i];
            // group-by-group layers: each worker's own time, averaged over the workers
            for (long[] t : fwdGroupNanos) f += (double) t[i] / fwdGroupNanos.length;
            for (long[] t : bwdGroupNanos) b += (double) t[i] / bwdGroupNanos.length;
            sb.append(String.format(Locale.ROOT, "%-18s %10.3f %10.3f%n", layers.get(i).name(), f / st, b / st));
            tf += f / st; tb += b / st;
        }
        sb.append(String.format(Locale.ROOT, "%-18s %10.3f%n", net.optimizer().name(), optNanos / st));
        sb.append(String.format(Locale.ROOT, "%-18s %10.3f %10.3f   total %.3f%n", "sum", tf, tb, tf + tb + optNanos / st));
        return sb.toString();
    }

    private boolean closed;

    /** Frees the buffers and stops the pool; a second call does nothing. */
    @Override public void close() {
        if (closed) return;
        closed = true;
        exec.close();
        if (buffers != null) buffers.arena.close();
        buffers = null;
        scratchArena.close();
    }
}
