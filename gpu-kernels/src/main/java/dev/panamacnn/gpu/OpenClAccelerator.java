package dev.panamacnn.gpu;

import dev.panamacnn.backend.Accelerator;
import dev.panamacnn.gpu.kernels.Act;
import dev.panamacnn.gpu.kernels.ActivationBackward;
import dev.panamacnn.gpu.kernels.AdamUpdate;
import dev.panamacnn.gpu.kernels.ColumnSum;
import dev.panamacnn.gpu.kernels.Col2Im;
import dev.panamacnn.gpu.kernels.ConvGemmForward;
import dev.panamacnn.gpu.kernels.ConvGemmWeightGrad;
import dev.panamacnn.gpu.kernels.SumSlices;
import dev.panamacnn.gpu.kernels.Gemm;
import dev.panamacnn.gpu.kernels.MaxPoolBackward;
import dev.panamacnn.gpu.kernels.MaxPoolForward;
import dev.panamacnn.gpu.kernels.ReduceScalars;
import dev.panamacnn.gpu.kernels.SgdUpdate;
import dev.panamacnn.gpu.kernels.SoftmaxCrossEntropy;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.nn.Activation;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Flatten;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.nn.Sequential;
import dev.panamacnn.opencl.ClBuffer;
import dev.panamacnn.opencl.ClContext;
import dev.panamacnn.opencl.ClDevice;
import dev.panamacnn.opencl.ClKernel;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.optim.Optimizer;
import dev.panamacnn.optim.SGD;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The OpenCL backend: runs a compiled {@link Sequential}'s training step, evaluation and prediction on one OpenCL
 * device with every parameter, gradient, optimizer state and activation resident in device buffers.
 *
 * <p>The device plan mirrors the CPU engine's: one parameter buffer with the same layout as
 * {@link Sequential#parameters()}, one gradient buffer, the optimizer's state, one activation and one
 * output-gradient buffer per layer (Flatten shares its neighbour's), max-pool arg-max indices, per-row loss and
 * correctness, and three result scalars. A training step writes the input batch and its targets, enqueues
 * forward, loss, backward and optimizer kernels on one in-order queue, and reads back three floats: the loss sum,
 * the number of correct predictions and the optimizer's non-finite flag.
 */
public final class OpenClAccelerator implements Accelerator {
    private static final int LOCAL = 64;

    private final Sequential model;
    private final ClContext ctx;
    private final KernelLibrary lib;
    private final int capacity, inSize, classes;
    /** False for a plan made by {@link #forInference}: no gradient, optimizer or backward buffers. */
    private final boolean training;
    private final long paramCount;
    private final ClBuffer params, grads, x, y, rowLoss, rowCorrect, scalars;
    private final List<ClBuffer> optState = new ArrayList<>();
    private final List<Op> ops = new ArrayList<>();
    private final ClBuffer[] acts, dacts;
    private final ClKernel softmaxTrain, softmaxEval, softmaxPredict, reduce, update;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment scalarHost = arena.allocate(16, 16);

    /**
     * Plans {@code model} on {@code device} for batches of up to {@code capacity} samples, builds the kernels and
     * uploads the parameters and optimizer state.
     *
     * @throws IllegalArgumentException when the model uses a layer, activation, loss or optimizer the backend lacks
     */
    public static OpenClAccelerator create(Sequential model, ClDevice device, int capacity) {
        return make(model, device, capacity, true);
    }

    /**
     * A plan for {@code evaluate} and {@code predict} only: the parameters and the forward activations, without the
     * gradient, optimizer-state and backward buffers (at capacity 1000 on the tutorial network, about 250 MB less).
     */
    public static OpenClAccelerator forInference(Sequential model, ClDevice device, int capacity) {
        return make(model, device, capacity, false);
    }

    private static OpenClAccelerator make(Sequential model, ClDevice device, int capacity, boolean training) {
        ClContext ctx = new ClContext(device);
        try {
            return new OpenClAccelerator(model, ctx, capacity, training);
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    private OpenClAccelerator(Sequential model, ClContext ctx, int capacity, boolean training) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be >= 1");
        if (model.optimizer() == null) throw new IllegalStateException("compile the model before creating an accelerator for it");
        if (model.loss() != Loss.CATEGORICAL_CROSSENTROPY) {
            throw new IllegalArgumentException("the OpenCL backend supports categorical_crossentropy, not " + model.loss().kerasName());
        }
        this.model = model;
        this.ctx = ctx;
        this.lib = new KernelLibrary(ctx);
        this.capacity = capacity;
        this.training = training;
        this.inSize = model.inputShape().size();
        this.classes = model.outputShape().size();
        this.paramCount = model.paramCount();
        List<Layer> layers = model.layers();
        int count = layers.size();

        params = ctx.buffer(paramCount * 4, "parameters");
        grads = training ? ctx.buffer(paramCount * 4, "gradients") : null;
        if (training) {
            for (int i = 0; i < model.optimizer().state().size(); i++) optState.add(ctx.buffer(paramCount * 4, model.optimizer().name() + " state " + i));
        }
        x = ctx.buffer((long) capacity * inSize * 4, "input batch");
        y = ctx.buffer((long) capacity * classes * 4, "target batch");
        rowLoss = ctx.buffer(capacity * 4L, "row loss");
        rowCorrect = ctx.buffer(capacity * 4L, "row correct");
        scalars = ctx.buffer(16, "result scalars");

        acts = new ClBuffer[count];
        dacts = new ClBuffer[count];
        for (int i = 0; i < count; i++) {
            Layer l = layers.get(i);
            acts[i] = l.inPlace() ? (i == 0 ? x : acts[i - 1]) : ctx.buffer((long) capacity * l.outputShape().size() * 4, l.name() + " output");
        }
        if (training) dacts[count - 1] = ctx.buffer((long) capacity * classes * 4, layers.get(count - 1).name() + " output gradient");
        for (int i = count - 1; i >= 1 && training; i--) {
            dacts[i - 1] = layers.get(i).inPlace() ? dacts[i]
                    : ctx.buffer((long) capacity * layers.get(i - 1).outputShape().size() * 4, layers.get(i - 1).name() + " output gradient");
        }
        for (int i = 0; i < count; i++) {
            Layer l = layers.get(i);
            boolean last = i == count - 1;
            if (l.activation() == Activation.SOFTMAX && !(last && l instanceof Dense)) {
                throw new IllegalArgumentException("the OpenCL backend supports softmax only on the last (Dense) layer, not on " + l.name());
            }
            ClBuffer in = i == 0 ? x : acts[i - 1];
            ClBuffer dIn = i == 0 ? null : dacts[i - 1];
            long off = model.paramOffset(i);
            switch (l) {
                case Conv2D c -> ops.add(new ConvOp(c, off, in, acts[i], dacts[i], dIn, last));
                case MaxPool2D p -> ops.add(new PoolOp(p, in, acts[i], dacts[i], dIn));
                case Dense d -> ops.add(new DenseOp(d, off, in, acts[i], dacts[i], dIn, last));
                case Flatten f -> { }
                default -> throw new IllegalArgumentException("the OpenCL backend has no kernels for " + l.kerasClassName() + " (" + l.name() + ")");
            }
        }
        ClBuffer logits = acts[count - 1];
        softmaxTrain = training ? softmax(logits, 1, 1) : null;
        softmaxEval = softmax(logits, 0, 1);
        softmaxPredict = softmax(logits, 0, 0);
        reduce = lib.create(ReduceScalars.class, "loss and accuracy").set("rowLoss", rowLoss).set("rowCorrect", rowCorrect).set("scalars", scalars);
        Optimizer opt = model.optimizer();
        if (!training) {
            update = null;
        } else if (opt instanceof Adam a) {
            update = lib.create(AdamUpdate.class, "Adam").set("p", params).set("g", grads).set("m", optState.get(0)).set("v", optState.get(1))
                    .set("scalars", scalars).set("count", (int) paramCount).set("b1", a.beta1()).set("b2", a.beta2())
                    .set("c1", 1 - a.beta1()).set("c2", 1 - a.beta2()).set("eps", a.epsilon());
        } else if (opt instanceof SGD s) {
            update = lib.create(SgdUpdate.class, "SGD").set("p", params).set("g", grads).set("vel", optState.get(0))
                    .set("scalars", scalars).set("count", (int) paramCount).set("lr", s.learningRate()).set("momentum", s.momentum());
        } else {
            throw new IllegalArgumentException("the OpenCL backend has no kernel for the " + opt.name() + " optimizer");
        }
        if (paramCount > Integer.MAX_VALUE / 2) throw new IllegalArgumentException("model too large for 32-bit kernel indices");
        upload();
        ctx.finish();
    }

    private ClKernel softmax(ClBuffer logits, int train, int hasLabels) {
        return lib.create(SoftmaxCrossEntropy.class, "softmax + cross-entropy").set("z", logits).set("y", y)
                .set("dz", training ? dacts[dacts.length - 1] : logits).set("rowLoss", rowLoss).set("rowCorrect", rowCorrect)
                .set("classes", classes).set("train", train).set("hasLabels", hasLabels);
    }

    // ---------------------------------------------------------------- Accelerator

    @Override public String description() { return "OpenCL: " + ctx.device().describe(); }

    /** The device this accelerator runs on. */
    public ClDevice device() { return ctx.device(); }

    /** The context, for its transfer counters ({@link ClContext#bytesToDevice()} and so on). */
    public ClContext context() { return ctx; }

    @Override public int capacity() { return capacity; }

    /** Number of kernel classes translated and built for this plan. */
    public int kernelClasses() { return lib.programCount(); }

    @Override public void upload() {
        ctx.write(params, 0, model.parameters(), paramCount * 4);
        List<MemorySegment> st = model.optimizer().state();
        for (int i = 0; i < optState.size(); i++) ctx.write(optState.get(i), 0, st.get(i), paramCount * 4);
    }

    @Override public void download() {
        ctx.read(params, 0, model.parameters(), paramCount * 4);
        List<MemorySegment> st = model.optimizer().state();
        for (int i = 0; i < optState.size(); i++) ctx.read(optState.get(i), 0, st.get(i), paramCount * 4);
    }

    /** Copies the device's gradient buffer (of the last training step) into the model's gradient segment. */
    public void downloadGradients() {
        requireTraining();
        ctx.read(grads, 0, model.gradients(), paramCount * 4);
    }

    private void checkBatch(int n) {
        if (n < 1 || n > capacity) throw new IllegalArgumentException("batch of " + n + " samples; this OpenCL plan holds 1 to " + capacity);
    }

    private void sendBatch(MemorySegment hx, MemorySegment hy, int n) {
        ctx.write(x, 0, hx, (long) n * inSize * 4);
        if (hy != null) ctx.write(y, 0, hy, (long) n * classes * 4);
    }

    private void forward(int n) {
        for (Op op : ops) op.forward(n);
    }

    private Result scalars() {
        ctx.read(scalars, 0, scalarHost, 12);
        float loss = scalarHost.get(ValueLayout.JAVA_FLOAT, 0);
        float correct = scalarHost.get(ValueLayout.JAVA_FLOAT, 4);
        float bad = scalarHost.get(ValueLayout.JAVA_FLOAT, 8);
        return new Result(loss, Math.round(correct), bad == 0f);
    }

    private void launch1(ClKernel k, int n) {
        k.set("n", n);
        k.launch(n, LOCAL);
    }

    private void requireTraining() {
        if (!training) throw new IllegalStateException("this OpenCL plan was made for inference (forInference); use create() to train");
    }

    @Override public Result trainStep(MemorySegment hx, MemorySegment hy, int n) {
        requireTraining();
        checkBatch(n);
        sendBatch(hx, hy, n);
        forward(n);
        launch1(softmaxTrain, n);
        reduce.set("n", n).launch(1, 1);
        for (int i = ops.size() - 1; i >= 0; i--) ops.get(i).backward(n);
        Optimizer opt = model.optimizer();
        long t = opt.iterations() + 1;
        if (opt instanceof Adam a) update.set("lrT", a.stepSize(t));
        update.launch(paramCount, 256);
        opt.setIterations(t);
        return scalars();
    }

    @Override public Result evaluate(MemorySegment hx, MemorySegment hy, int n) {
        checkBatch(n);
        sendBatch(hx, hy, n);
        forward(n);
        launch1(softmaxEval, n);
        reduce.set("n", n).launch(1, 1);
        return scalars();
    }

    @Override public void predict(MemorySegment hx, int n, MemorySegment out) {
        checkBatch(n);
        sendBatch(hx, null, n);
        forward(n);
        launch1(softmaxPredict, n);
        ctx.read(acts[acts.length - 1], 0, out, (long) n * classes * 4);
    }

    /**
     * The step's kernel launches by name, in step order, for per-kernel benchmarks and profiles: e.g.
     * {@code conv2d_1 forward}, {@code softmax+loss}, {@code conv2d_1 weight gradient}, {@code Adam update}. Each runs on the
     * current device buffers for a batch of {@code n}; call {@link ClContext#finish()} to wait for it.
     */
    public java.util.LinkedHashMap<String, Runnable> launches(int n) {
        checkBatch(n);
        java.util.LinkedHashMap<String, Runnable> m = new java.util.LinkedHashMap<>();
        for (Op op : ops) for (Launch l : op.forward) m.put(l.name(), () -> l.run().accept(n));
        m.put("softmax+loss", () -> { launch1(training ? softmaxTrain : softmaxEval, n); reduce.set("n", n).launch(1, 1); });
        if (!training) return m;
        for (int i = ops.size() - 1; i >= 0; i--) for (Launch l : ops.get(i).backward) m.put(l.name(), () -> l.run().accept(n));
        m.put(model.optimizer().name() + " update", () -> {
            if (model.optimizer() instanceof Adam a) update.set("lrT", a.stepSize(Math.max(1, model.optimizer().iterations())));
            update.launch(paramCount, 256);
        });
        return m;
    }

    /** Mean milliseconds per launch group over {@code reps} runs of a batch of {@code n} (a finish after each). */
    public String profile(int n, int reps) {
        StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT, "%-34s %10s   (%s, batch %d, %d runs)%n", "kernel", "ms", ctx.device().name(), n, reps));
        double total = 0;
        for (var e : launches(n).entrySet()) {
            e.getValue().run();
            ctx.finish();
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) { e.getValue().run(); ctx.finish(); }
            double ms = (System.nanoTime() - t0) / 1e6 / reps;
            total += ms;
            sb.append(String.format(java.util.Locale.ROOT, "%-34s %10.3f%n", e.getKey(), ms));
        }
        sb.append(String.format(java.util.Locale.ROOT, "%-34s %10.3f%n", "sum", total));
        return sb.toString();
    }

    @Override public void close() {
        ctx.close();
        arena.close();
    }

    private static int act(Activation a) {
        return switch (a) {
            case LINEAR, SOFTMAX -> Act.LINEAR;
            case RELU -> Act.RELU;
            case SIGMOID -> Act.SIGMOID;
            case TANH -> Act.TANH;
        };
    }

    // ---------------------------------------------------------------- per-layer launches

    /** One kernel launch of a step, named for profiles and benchmarks; {@code run} takes the batch size. */
    private record Launch(String name, java.util.function.IntConsumer run) {}

    /**
     * A layer's launches, fixed when the plan is made: the forward list, and the backward list (which already
     * knows whether the output gradient is w.r.t. the pre-activation, as for the softmax layer, and whether the
     * input gradient is needed).
     */
    private abstract static class Op {
        final List<Launch> forward = new ArrayList<>(), backward = new ArrayList<>();

        void forward(int n) { for (Launch l : forward) l.run().accept(n); }
        void backward(int n) { for (Launch l : backward) l.run().accept(n); }
    }

    /** Rows of the im2col matrix per slice of the split weight-gradient reduction. */
    static final int SLICE = 512;

    private final class ConvOp extends Op {
        final ClKernel fwd, dW, sumW, dCols, col2im, actBwd;
        final int perOut, perIn, act, f, kk, outPositions;

        ConvOp(Conv2D l, long kOff, ClBuffer in, ClBuffer out, ClBuffer dOut, ClBuffer dIn, boolean last) {
            int h = l.inputShape().dim(0), w = l.inputShape().dim(1), c = l.inputShape().dim(2);
            int oh = l.outputShape().dim(0), ow = l.outputShape().dim(1), f = l.filters();
            int kh = l.kernelHeight(), kw = l.kernelWidth();
            int bOff = (int) (kOff + (long) kh * kw * c * f);
            perOut = oh * ow * f;
            perIn = h * w * c;
            this.f = f;
            kk = kh * kw * c;
            outPositions = oh * ow;
            act = act(l.activation());
            fwd = gemmDims(lib.create(ConvGemmForward.class, l.name() + " forward"), l, h, w, c, oh, ow, f)
                    .set("in", in).set("params", params).set("out", out).set("kOff", (int) kOff).set("bOff", bOff).set("act", act);
            String name = l.name();
            forward.add(new Launch(name + " forward", n -> fwd.set("n", n).launch(Gemm.global((long) n * outPositions, f), new long[] {16, 16})));
            if (dOut == null) {   // an inference plan
                dW = sumW = dCols = col2im = actBwd = null;
                return;
            }
            int maxSlices = (capacity * outPositions + SLICE - 1) / SLICE;
            // kernel and bias gradients together: kk + 1 rows (the bias follows the kernel in the parameter layout)
            ClBuffer partial = ctx.buffer((long) maxSlices * (kk + 1) * f * 4, l.name() + " weight-gradient slices");
            dW = gemmDims(lib.create(ConvGemmWeightGrad.class, l.name() + " weight gradient"), l, h, w, c, oh, ow, f)
                    .set("in", in).set("dOut", dOut).set("partial", partial).set("slice", SLICE);
            sumW = lib.create(SumSlices.class, l.name() + " weight gradient sum").set("partial", partial).set("out", grads)
                    .set("count", (kk + 1) * f).set("outOff", (int) kOff);
            if (dIn == null) {
                dCols = null;
                col2im = null;
            } else {
                // dcols = dOut W^T (rows x kk), then a gather into the input gradient
                ClBuffer cols = ctx.buffer((long) capacity * outPositions * kk * 4, l.name() + " column gradient");
                dCols = lib.create(Gemm.class, l.name() + " column gradient").set("a", dOut).set("b", params).set("c", cols)
                        .set("nn", kk).set("k", f).set("aOff", 0).set("ars", f).set("acs", 1)
                        .set("bOff", (int) kOff).set("brs", 1).set("bcs", f).set("cOff", 0).set("ldc", kk)
                        .set("biasOff", -1).set("act", Act.LINEAR);
                col2im = lib.create(Col2Im.class, l.name() + " input gradient").set("dcols", cols).set("dIn", dIn)
                        .set("h", h).set("w", w).set("c", c).set("kh", kh).set("kw", kw).set("sh", l.strideY()).set("sw", l.strideX())
                        .set("oh", oh).set("ow", ow).set("kk", kk);
            }
            actBwd = act == Act.LINEAR ? null : lib.create(ActivationBackward.class, l.name() + " activation gradient")
                    .set("y", out).set("d", dOut).set("act", act);
            if (!last && actBwd != null) {
                backward.add(new Launch(name + " activation gradient", n -> actBwd.set("count", n * perOut).launch((long) n * perOut, LOCAL)));
            }
            backward.add(new Launch(name + " weight and bias gradient", n -> {
                int rows = n * outPositions, slices = (rows + SLICE - 1) / SLICE;
                long[] g = Gemm.global(kk + 1, f);
                dW.set("n", n).launch(new long[] {g[0], g[1], slices}, new long[] {16, 16, 1});
                sumW.set("slices", slices).launch((long) (kk + 1) * f, LOCAL);
            }));
            if (dCols != null) {
                backward.add(new Launch(name + " column gradient", n -> dCols.set("m", n * outPositions).launch(Gemm.global((long) n * outPositions, kk), new long[] {16, 16})));
                backward.add(new Launch(name + " input gradient", n -> col2im.set("n", n).launch((long) n * perIn, LOCAL)));
            }
        }

        private ClKernel gemmDims(ClKernel k, Conv2D l, int h, int w, int c, int oh, int ow, int f) {
            return k.set("h", h).set("w", w).set("c", c).set("kw", l.kernelWidth()).set("sh", l.strideY()).set("sw", l.strideX())
                    .set("oh", oh).set("ow", ow).set("f", f).set("kk", l.kernelHeight() * l.kernelWidth() * c);
        }

    }

    private final class PoolOp extends Op {
        final ClKernel fwd, bwd;
        final int perOut, perIn;

        PoolOp(MaxPool2D l, ClBuffer in, ClBuffer out, ClBuffer dOut, ClBuffer dIn) {
            int h = l.inputShape().dim(0), w = l.inputShape().dim(1), c = l.inputShape().dim(2);
            int oh = l.outputShape().dim(0), ow = l.outputShape().dim(1);
            perOut = oh * ow * c;
            perIn = h * w * c;
            ClBuffer argmax = ctx.buffer((long) capacity * perOut * 4, l.name() + " argmax");
            fwd = dims(lib.create(MaxPoolForward.class, l.name() + " forward"), l, h, w, c, oh, ow)
                    .set("in", in).set("out", out).set("argmax", argmax);
            bwd = dIn == null ? null : dims(lib.create(MaxPoolBackward.class, l.name() + " input gradient"), l, h, w, c, oh, ow)
                    .set("dOut", dOut).set("dIn", dIn).set("argmax", argmax);
            forward.add(new Launch(l.name() + " forward", n -> fwd.set("n", n).launch((long) n * perOut, LOCAL)));
            if (bwd != null) backward.add(new Launch(l.name() + " input gradient", n -> bwd.set("n", n).launch((long) n * perIn, LOCAL)));
        }

        private ClKernel dims(ClKernel k, MaxPool2D l, int h, int w, int c, int oh, int ow) {
            return k.set("h", h).set("w", w).set("c", c).set("ph", l.poolHeight()).set("pw", l.poolWidth())
                    .set("sh", l.strideY()).set("sw", l.strideX()).set("oh", oh).set("ow", ow);
        }

    }

    private final class DenseOp extends Op {
        final ClKernel fwd, dW, dB, dX, actBwd;
        final int in, units, act;

        DenseOp(Dense l, long kOff, ClBuffer input, ClBuffer out, ClBuffer dOut, ClBuffer dIn, boolean last) {
            in = l.inputShape().size();
            units = l.units();
            act = act(l.activation());
            int bOff = (int) (kOff + (long) in * units);
            // Y = X W + b: A = X (n x in), B = W (in x units)
            fwd = lib.create(Gemm.class, l.name() + " forward").set("a", input).set("b", params).set("c", out)
                    .set("nn", units).set("k", in).set("aOff", 0).set("ars", in).set("acs", 1)
                    .set("bOff", (int) kOff).set("brs", units).set("bcs", 1).set("cOff", 0).set("ldc", units)
                    .set("biasOff", bOff).set("act", act);
            String name = l.name();
            forward.add(new Launch(name + " forward", n -> gemm(fwd.set("m", n), n, units)));
            if (dOut == null) {   // an inference plan
                dW = dB = dX = actBwd = null;
                return;
            }
            // dW = X^T dY: A(i, l) = X[l, i] (in x n), B = dY (n x units)
            dW = lib.create(Gemm.class, l.name() + " weight gradient").set("a", input).set("b", dOut).set("c", grads)
                    .set("m", in).set("nn", units).set("aOff", 0).set("ars", 1).set("acs", in)
                    .set("bOff", 0).set("brs", units).set("bcs", 1).set("cOff", (int) kOff).set("ldc", units)
                    .set("biasOff", -1).set("act", Act.LINEAR);
            dB = lib.create(ColumnSum.class, l.name() + " bias gradient").set("d", dOut).set("out", grads)
                    .set("cols", units).set("outOff", bOff);
            // dX = dY W^T: A = dY (n x units), B(l, j) = W[j, l] (units x in)
            dX = dIn == null ? null : lib.create(Gemm.class, l.name() + " input gradient").set("a", dOut).set("b", params).set("c", dIn)
                    .set("nn", in).set("k", units).set("aOff", 0).set("ars", units).set("acs", 1)
                    .set("bOff", (int) kOff).set("brs", 1).set("bcs", units).set("cOff", 0).set("ldc", in)
                    .set("biasOff", -1).set("act", Act.LINEAR);
            actBwd = act == Act.LINEAR ? null : lib.create(ActivationBackward.class, l.name() + " activation gradient")
                    .set("y", out).set("d", dOut).set("act", act);
            if (!last && actBwd != null) {
                backward.add(new Launch(name + " activation gradient", n -> actBwd.set("count", n * units).launch((long) n * units, LOCAL)));
            }
            backward.add(new Launch(name + " weight gradient", n -> gemm(dW.set("k", n), in, units)));
            backward.add(new Launch(name + " bias gradient", n -> dB.set("rows", n).launch(units, LOCAL)));
            if (dX != null) backward.add(new Launch(name + " input gradient", n -> gemm(dX.set("m", n), n, in)));
        }

        private static void gemm(ClKernel k, int rows, int cols) {
            k.launch(Gemm.global(rows, cols), new long[] {16, 16});
        }
    }
}
