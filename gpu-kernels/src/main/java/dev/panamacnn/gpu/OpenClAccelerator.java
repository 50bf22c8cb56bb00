package dev.panamacnn.gpu;

import dev.panamacnn.exec.Backend;
import dev.panamacnn.exec.Model;
import dev.panamacnn.exec.Network;
import dev.panamacnn.exec.Plan;
import dev.panamacnn.exec.StepResult;
import dev.panamacnn.gpu.kernels.AdamUpdate;
import dev.panamacnn.gpu.kernels.BinaryCrossEntropy;
import dev.panamacnn.gpu.kernels.RmspropUpdate;
import dev.panamacnn.optim.RMSprop;
import dev.panamacnn.gpu.kernels.ReduceScalars;
import dev.panamacnn.gpu.ops.ClBinding;
import dev.panamacnn.gpu.ops.ClOp;
import dev.panamacnn.gpu.ops.OpenClOps;
import dev.panamacnn.gpu.kernels.SgdUpdate;
import dev.panamacnn.gpu.kernels.SoftmaxCrossEntropy;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.activations.Activation;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.Step;
import dev.panamacnn.tensor.Tensor;
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
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The OpenCL backend: runs a compiled model's training step, evaluation and prediction on one OpenCL device with
 * every parameter, gradient, optimizer state and activation resident in device buffers.
 *
 * <p>The device buffers follow the model's one {@link Plan}: one parameter buffer with the host layout, one gradient
 * buffer, the optimizer's state, one activation and one output-gradient buffer per layer that owns one (a view such
 * as Flatten shares its neighbour's), what each layer keeps, per-row loss and correctness, and three result scalars.
 * Each layer runs as the op registered for its type ({@link OpenClOps}). A training step writes the input batch and
 * its targets, enqueues forward, loss, backward and optimizer kernels on one in-order queue, and reads back three
 * floats: the loss sum, the number of correct predictions and the optimizer's non-finite flag.
 */
public final class OpenClAccelerator implements Backend {
    private static final int LOCAL = ClOp.LOCAL;

    private final Network net;
    private final Plan plan;
    private final ClContext ctx;
    private final KernelLibrary lib;
    private final int capacity, inSize, classes, targetWidth;
    /** binary_crossentropy: the last layer's sigmoid output is the probability, scored by {@link BinaryCrossEntropy}. */
    private final boolean binary;
    /** False for a plan made by {@link #forInference}: no gradient, optimizer or backward buffers. */
    private final boolean training;
    private final long paramCount;
    private final ClBuffer params, grads, x, y, rowLoss, rowCorrect, scalars;
    private final List<ClBuffer> optState = new ArrayList<>();
    private final List<ClOp> ops = new ArrayList<>();
    private final ClBuffer[] acts, dacts;
    private final ClKernel softmaxTrain, softmaxEval, softmaxPredict, reduce, update;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment scalarHost = arena.allocate(16, 16);
    /** Host staging of the next batch ({@link #input()}, {@link #target()}). */
    private final MemorySegment hostX, hostY;

    /**
     * Plans {@code model} on {@code device} for batches of up to {@code capacity} samples, builds the kernels and
     * uploads the parameters and optimizer state.
     *
     * @throws IllegalArgumentException when the model uses a layer, activation, loss or optimizer the backend lacks
     */
    public static OpenClAccelerator create(Model model, ClDevice device, int capacity) {
        return make(model, device, capacity, true);
    }

    /**
     * A plan for {@code evaluate} and {@code predict} only: the parameters and the forward activations, without the
     * gradient, optimizer-state and backward buffers (at capacity 1000 on the tutorial network, about 250 MB less).
     */
    public static OpenClAccelerator forInference(Model model, ClDevice device, int capacity) {
        return make(model, device, capacity, false);
    }

    private static OpenClAccelerator make(Model model, ClDevice device, int capacity, boolean training) {
        Network net;
        try {
            net = model.network();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("compile the model before creating an accelerator for it");
        }
        ClContext ctx = new ClContext(device);
        try {
            return new OpenClAccelerator(net, ctx, capacity, training);
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    private OpenClAccelerator(Network net, ClContext ctx, int capacity, boolean training) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be >= 1");
        for (var m : net.metrics()) {
            if (m.topK()) throw new IllegalArgumentException("the OpenCL backend has no kernel for the " + m.kerasName() + " metric");
        }
        this.net = net;
        this.plan = net.plan();
        this.ctx = ctx;
        this.lib = new KernelLibrary(ctx);
        this.capacity = capacity;
        this.training = training;
        this.inSize = plan.inputSize();
        this.classes = plan.outputSize();
        this.targetWidth = net.loss().targetWidth(classes);
        this.binary = net.loss().kind() == Loss.Kind.BINARY;
        this.paramCount = net.paramCount();
        List<Layer> layers = plan.layers();
        int count = layers.size();
        hostX = Tensor.allocateFloats(arena, (long) capacity * inSize);
        hostY = Tensor.allocateFloats(arena, (long) capacity * classes);

        params = ctx.buffer(paramCount * 4, "parameters");
        grads = training ? ctx.buffer(paramCount * 4, "gradients") : null;
        if (training) {
            for (int i = 0; i < net.optimizer().state().size(); i++) optState.add(ctx.buffer(paramCount * 4, net.optimizer().name() + " state " + i));
        }
        x = ctx.buffer((long) capacity * inSize * 4, "input batch");
        y = ctx.buffer((long) capacity * classes * 4, "target batch");
        rowLoss = ctx.buffer(capacity * 4L, "row loss");
        rowCorrect = ctx.buffer(capacity * 4L, "row correct");
        scalars = ctx.buffer(16, "result scalars");

        acts = new ClBuffer[count];
        dacts = new ClBuffer[count];
        for (int i = 0; i < count; i++) {
            int owner = plan.outputOwner(i);
            acts[i] = owner == i ? ctx.buffer((long) capacity * plan.outputSize(i) * 4, layers.get(i).name() + " output") : owner < 0 ? x : acts[owner];
        }
        for (int i = count - 1; i >= 0 && training; i--) {
            dacts[i] = plan.ownsGradient(i) ? ctx.buffer((long) capacity * plan.outputSize(i) * 4, layers.get(i).name() + " output gradient")
                    : dacts[plan.gradientOwner(i)];
        }
        for (int i = 0; i < count; i++) {
            Layer l = layers.get(i);
            boolean last = i == count - 1;
            if (l.activation() == Activation.SOFTMAX && !(last && l instanceof Dense)) {
                throw new IllegalArgumentException("the OpenCL backend supports softmax only on the last (Dense) layer, not on " + l.name());
            }
            if (l.isView()) continue;
            ops.add(OpenClOps.bind(l, new ClBinding(ctx, lib, capacity, params, grads, plan.paramOffset(i),
                    i == 0 ? x : acts[i - 1], acts[i], dacts[i], plan.needsInputGradient(i) ? dacts[i - 1] : null, last)));
        }
        ClBuffer logits = acts[count - 1];
        softmaxTrain = training ? (binary ? binary(logits, 1) : softmax(logits, 1, 1)) : null;
        softmaxEval = binary ? binary(logits, 0) : softmax(logits, 0, 1);
        softmaxPredict = binary ? null : softmax(logits, 0, 0);
        reduce = lib.create(ReduceScalars.class, "loss and accuracy").set("rowLoss", rowLoss).set("rowCorrect", rowCorrect).set("scalars", scalars);
        Optimizer opt = net.optimizer();
        if (!training) {
            update = null;
        } else if (opt instanceof Adam a) {
            ClBuffer vh = a.amsgrad() ? optState.get(2) : optState.get(1);
            long[] tr = plan.trainableRanges();
            ClBuffer mask = params;
            if (tr != null && opt instanceof dev.panamacnn.optim.AdamW) {   // decay only the trainable parameters
                mask = ctx.buffer(paramCount * 4, "trainable mask");
                MemorySegment host = arena.allocate(paramCount * 4, 64);
                for (int r = 0; r < tr.length; r += 2) for (long i = tr[r]; i < tr[r + 1]; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1f);
                ctx.write(mask, 0, host, paramCount * 4);
            }
            update = lib.create(AdamUpdate.class, opt.name()).set("p", params).set("g", grads).set("m", optState.get(0)).set("v", optState.get(1))
                    .set("vh", vh).set("ams", a.amsgrad() ? 1 : 0).set("decay", 1f).set("trainable", mask).set("masked", mask == params ? 0 : 1)
                    .set("scalars", scalars).set("count", (int) paramCount).set("b1", a.beta1()).set("b2", a.beta2())
                    .set("c1", 1 - a.beta1()).set("c2", 1 - a.beta2()).set("eps", a.epsilon());
        } else if (opt instanceof SGD s) {
            update = lib.create(SgdUpdate.class, "SGD").set("p", params).set("g", grads).set("vel", optState.get(0))
                    .set("scalars", scalars).set("count", (int) paramCount).set("lr", s.learningRate()).set("momentum", s.momentum())
                    .set("nesterov", s.nesterov() ? 1 : 0);
        } else if (opt instanceof RMSprop r) {
            int k = 1;
            ClBuffer mg = r.centered() ? optState.get(k++) : optState.get(0), mom = r.momentum() > 0 ? optState.get(k) : optState.get(0);
            update = lib.create(RmspropUpdate.class, "RMSprop").set("p", params).set("g", grads).set("ms", optState.get(0)).set("mg", mg).set("mom", mom)
                    .set("scalars", scalars).set("count", (int) paramCount).set("centered", r.centered() ? 1 : 0).set("useMom", r.momentum() > 0 ? 1 : 0)
                    .set("rho", r.rho()).set("c", 1 - r.rho()).set("eps", r.epsilon()).set("momentum", r.momentum()).set("lr", r.learningRate());
        } else {
            throw new IllegalArgumentException("the OpenCL backend has no kernel for the " + opt.name() + " optimizer");
        }
        if (paramCount > Integer.MAX_VALUE / 2) throw new IllegalArgumentException("model too large for 32-bit kernel indices");
        pushState();
        ctx.finish();
    }

    private ClKernel binary(ClBuffer p, int train) {
        return lib.create(BinaryCrossEntropy.class, "binary cross-entropy").set("p", p).set("y", y)
                .set("dz", training ? dacts[dacts.length - 1] : p).set("rowLoss", rowLoss).set("rowCorrect", rowCorrect)
                .set("train", train).set("smoothing", net.loss().labelSmoothing());
    }

    private ClKernel softmax(ClBuffer logits, int train, int hasLabels) {
        return lib.create(SoftmaxCrossEntropy.class, "softmax + cross-entropy").set("z", logits).set("y", y)
                .set("dz", training ? dacts[dacts.length - 1] : logits).set("rowLoss", rowLoss).set("rowCorrect", rowCorrect)
                .set("classes", classes).set("train", train).set("hasLabels", hasLabels)
                .set("sparse", net.loss().kind() == Loss.Kind.SPARSE_CATEGORICAL ? 1 : 0).set("smoothing", net.loss().labelSmoothing());
    }

    /** The optimizer kernel's per-step values: Adam's bias-corrected step and AdamW's decay, the others' learning rate. */
    private void setStepValues(Optimizer opt, long t) {
        float lr = opt.learningRateAt(t - 1);   // a schedule's, or one a callback set
        if (opt instanceof Adam a) {
            update.set("lrT", a.stepSize(t));
            update.set("decay", opt instanceof dev.panamacnn.optim.AdamW w ? 1f - lr * w.weightDecayRate() : 1f);
        } else {
            update.set("lr", lr);
        }
    }

    // ---------------------------------------------------------------- Backend

    @Override public String description() { return "OpenCL: " + ctx.device().describe(); }

    /** The device this backend runs on. */
    public ClDevice device() { return ctx.device(); }

    /** The context, for its transfer counters ({@link ClContext#bytesToDevice()} and so on). */
    public ClContext context() { return ctx; }

    /** Largest batch one call accepts. */
    public int capacity() { return capacity; }

    /** Number of kernel classes translated and built for this plan. */
    public int kernelClasses() { return lib.programCount(); }

    @Override public int reserve(int n, boolean train) {
        if (n < 1) throw new IllegalArgumentException("batch size must be >= 1");
        if (train && n > capacity) throw new IllegalArgumentException("batch of " + n + " samples; this OpenCL plan holds 1 to " + capacity);
        return Math.min(n, capacity);
    }

    @Override public MemorySegment input() { return hostX; }
    @Override public MemorySegment target() { return hostY; }

    @Override public void pushState() {
        ctx.write(params, 0, net.parameters(), paramCount * 4);
        List<MemorySegment> st = net.optimizer().state();
        for (int i = 0; i < optState.size(); i++) ctx.write(optState.get(i), 0, st.get(i), paramCount * 4);
    }

    @Override public void pullState() {
        ctx.read(params, 0, net.parameters(), paramCount * 4);
        List<MemorySegment> st = net.optimizer().state();
        for (int i = 0; i < optState.size(); i++) ctx.read(optState.get(i), 0, st.get(i), paramCount * 4);
    }

    /** Copies the device's gradient buffer (of the last training step) into the network's gradient segment. */
    public void downloadGradients() {
        requireTraining();
        ctx.read(grads, 0, net.gradients(), paramCount * 4);
    }

    private void checkBatch(int n) {
        if (n < 1 || n > capacity) throw new IllegalArgumentException("batch of " + n + " samples; this OpenCL plan holds 1 to " + capacity);
    }

    private void sendBatch(int n, boolean labels) {
        ctx.write(x, 0, hostX, (long) n * inSize * 4);
        if (labels) ctx.write(y, 0, hostY, (long) n * targetWidth * 4);
    }

    private void forward(Step s) {
        for (ClOp op : ops) op.forward(s);
    }

    private StepResult scalars(int n) {
        ctx.read(scalars, 0, scalarHost, 12);
        float loss = scalarHost.get(ValueLayout.JAVA_FLOAT, 0);
        float correct = scalarHost.get(ValueLayout.JAVA_FLOAT, 4);
        float bad = scalarHost.get(ValueLayout.JAVA_FLOAT, 8);
        return new StepResult(loss, Math.round(correct), n, bad == 0f);
    }

    private void launch1(ClKernel k, int n) {
        k.set("n", n);
        k.launch(n, LOCAL);
    }

    private void requireTraining() {
        if (!training) throw new IllegalStateException("this OpenCL plan was made for inference (forInference); use create() to train");
    }

    @Override public StepResult trainStep(int n) {
        requireTraining();
        checkBatch(n);
        sendBatch(n, true);
        Optimizer opt = net.optimizer();
        long t = opt.iterations() + 1;
        Step s = Step.of(n, true, t);
        forward(s);
        launch1(softmaxTrain, n);
        reduce.set("n", n).launch(1, 1);
        for (int i = ops.size() - 1; i >= 0; i--) ops.get(i).backward(s);
        setStepValues(opt, t);
        update.launch(paramCount, 256);
        opt.setIterations(t);
        return scalars(n);
    }

    @Override public StepResult evaluate(int n) {
        checkBatch(n);
        sendBatch(n, true);
        forward(Step.of(n, false, net.optimizer().iterations()));
        launch1(softmaxEval, n);
        reduce.set("n", n).launch(1, 1);
        return scalars(n);
    }

    @Override public void predict(int n, MemorySegment out) {
        checkBatch(n);
        sendBatch(n, false);
        forward(Step.of(n, false, net.optimizer().iterations()));
        if (softmaxPredict != null) launch1(softmaxPredict, n);
        ctx.read(acts[acts.length - 1], 0, out, (long) n * classes * 4);
    }

    @Override public void finish() { ctx.finish(); }

    /**
     * The step's kernel launches by name, in step order, for per-kernel benchmarks and profiles: e.g.
     * {@code conv2d_1 forward}, {@code softmax+loss}, {@code conv2d_1 weight gradient}, {@code Adam update}. Each runs on the
     * current device buffers for a batch of {@code n}; call {@link #finish()} to wait for it.
     */
    @Override public LinkedHashMap<String, Runnable> parts(int n) {
        checkBatch(n);
        LinkedHashMap<String, Runnable> m = new LinkedHashMap<>();
        for (ClOp op : ops) for (ClOp.Launch l : op.forward) m.put(l.name(), () -> l.run().accept(n));
        m.put("softmax+loss", () -> { launch1(training ? softmaxTrain : softmaxEval, n); reduce.set("n", n).launch(1, 1); });
        if (!training) return m;
        for (int i = ops.size() - 1; i >= 0; i--) for (ClOp.Launch l : ops.get(i).backward) m.put(l.name(), () -> l.run().accept(n));
        m.put(net.optimizer().name() + " update", () -> {
            setStepValues(net.optimizer(), Math.max(1, net.optimizer().iterations()));
            update.launch(paramCount, 256);
        });
        return m;
    }

    /** Mean milliseconds per launch group over {@code reps} runs of a batch of {@code n} (a finish after each). */
    public String profile(int n, int reps) {
        StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT, "%-34s %10s   (%s, batch %d, %d runs)%n", "kernel", "ms", ctx.device().name(), n, reps));
        double total = 0;
        for (var e : parts(n).entrySet()) {
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
}
