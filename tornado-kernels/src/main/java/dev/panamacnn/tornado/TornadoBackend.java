package dev.panamacnn.tornado;

import dev.panamacnn.activations.Activation;
import dev.panamacnn.exec.Backend;
import dev.panamacnn.exec.Model;
import dev.panamacnn.exec.Network;
import dev.panamacnn.exec.Plan;
import dev.panamacnn.exec.StepResult;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.optim.Optimizer;
import dev.panamacnn.optim.SGD;
import dev.panamacnn.tornado.kernels.Kernels;
import dev.panamacnn.tornado.ops.TornadoBinding;
import dev.panamacnn.tornado.ops.TornadoOp;
import dev.panamacnn.tornado.ops.TornadoOps;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The TornadoVM backend: the whole training step as one {@link TaskGraph} of kernels written in Java
 * ({@link Kernels}), compiled by TornadoVM to OpenCL C or PTX and run in a {@link TornadoExecutionPlan} on one device.
 *
 * <p>Parameters, gradients, optimizer state, activations and every kept buffer are transferred once
 * ({@code FIRST_EXECUTION}) and stay on the device; per step only the batch, its targets and two small control
 * arrays go in ({@code EVERY_EXECUTION}), and the loss sum, correct count and non-finite flag come out. Evaluation
 * and prediction run the same graph with {@code meta[1] = 0}, so the backward and update tasks do nothing; the
 * probabilities, parameters and optimizer state come back only on demand ({@code UNDER_DEMAND}). The buffers follow
 * the model's {@link Plan}, each layer runs as the op registered for its type ({@link TornadoOps}).
 */
public final class TornadoBackend implements Backend {
    private static final AtomicInteger GRAPHS = new AtomicInteger();

    private final Network net;
    private final Plan plan;
    private final TornadoDevice device;
    private final int capacity, inSize, classes, paramCount;
    private final FloatArray params, grads, x, y, rowLoss, rowCorrect, scalars, hyper, logits;
    private final List<FloatArray> optState = new ArrayList<>();
    private final IntArray meta;
    private final List<TornadoOp> ops = new ArrayList<>();
    private final TornadoExecutionPlan executionPlan;
    private final String graphName;
    private TornadoExecutionResult last;
    private boolean executed;
    private long bytesToDevice, bytesFromDevice, executions;
    private final long perStepIn, perStepOut;
    /** Seconds the first execution took (TornadoVM compiling every kernel, and the first transfers). */
    private final double compileSeconds;

    /**
     * Plans {@code model} on {@code device} for batches of up to {@code capacity} samples, compiles every kernel and
     * uploads the parameters and optimizer state.
     *
     * @throws IllegalArgumentException when the model uses a layer, activation, loss or optimizer the backend lacks
     */
    public static TornadoBackend create(Model model, TornadoDevice device, int capacity) {
        Network net;
        try {
            net = model.network();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("compile the model before creating a backend for it");
        }
        return new TornadoBackend(net, device, capacity);
    }

    /** SGD's learning rate, a constant of the compiled task graph (NaN for Adam). */
    private final float sgdRate;

    private TornadoBackend(Network net, TornadoDevice device, int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be >= 1");
        if (net.loss() != Loss.CATEGORICAL_CROSSENTROPY) {
            throw new IllegalArgumentException("the TornadoVM backend supports categorical_crossentropy without label smoothing, not " + net.loss());
        }
        for (dev.panamacnn.loss.Metric m : net.metrics()) {
            if (m.topK()) throw new IllegalArgumentException("the TornadoVM backend has no kernel for the " + m.kerasName() + " metric");
        }
        if (net.paramCount() > Integer.MAX_VALUE / 2) throw new IllegalArgumentException("model too large for 32-bit kernel indices");
        this.net = net;
        this.plan = net.plan();
        this.device = device;
        this.capacity = capacity;
        this.inSize = plan.inputSize();
        this.classes = plan.outputSize();
        this.paramCount = (int) net.paramCount();
        List<Layer> layers = plan.layers();
        int count = layers.size();
        params = new FloatArray(paramCount);
        grads = new FloatArray(paramCount);
        Optimizer opt = net.optimizer();
        boolean plainAdam = opt.getClass() == Adam.class && !((Adam) opt).amsgrad();
        boolean plainSgd = opt instanceof SGD sgd && !sgd.nesterov() && sgd.schedule() == null;
        if (!plainAdam && !plainSgd) {
            throw new IllegalArgumentException("the TornadoVM backend has no kernel for the " + opt.name() + " optimizer with these settings "
                    + opt.config() + " (it runs Adam without amsgrad, and SGD without nesterov or a schedule)");
        }
        sgdRate = plainSgd ? opt.learningRate() : Float.NaN;
        for (int i = 0; i < opt.state().size(); i++) optState.add(new FloatArray(paramCount));
        x = new FloatArray(Math.multiplyExact(capacity, inSize));
        y = new FloatArray(capacity * classes);
        rowLoss = new FloatArray(capacity);
        rowCorrect = new FloatArray(capacity);
        scalars = new FloatArray(4);
        hyper = new FloatArray(4);
        meta = new IntArray(4);

        FloatArray[] acts = new FloatArray[count], dacts = new FloatArray[count];
        for (int i = 0; i < count; i++) {
            int owner = plan.outputOwner(i);
            acts[i] = owner == i ? new FloatArray(Math.toIntExact(capacity * plan.outputSize(i))) : owner < 0 ? x : acts[owner];
        }
        for (int i = count - 1; i >= 0; i--) {
            dacts[i] = plan.ownsGradient(i) ? new FloatArray(Math.toIntExact(capacity * plan.outputSize(i))) : dacts[plan.gradientOwner(i)];
        }
        for (int i = 0; i < count; i++) {
            Layer l = layers.get(i);
            boolean lastLayer = i == count - 1;
            if (l.activation() == Activation.SOFTMAX && !(lastLayer && l instanceof Dense)) {
                throw new IllegalArgumentException("the TornadoVM backend supports softmax only on the last (Dense) layer, not on " + l.name());
            }
            if (l.isView()) continue;
            ops.add(TornadoOps.bind(l, new TornadoBinding(capacity, params, grads, (int) plan.paramOffset(i), i == 0 ? x : acts[i - 1], acts[i],
                    dacts[i], plan.needsInputGradient(i) ? dacts[i - 1] : null, meta, lastLayer)));
        }
        logits = acts[count - 1];

        graphName = "pcnn" + GRAPHS.incrementAndGet();
        TaskGraph g = new TaskGraph(graphName);
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, x, y, meta, hyper);
        List<Object> resident = new ArrayList<>(List.of(params, grads, rowLoss, rowCorrect, scalars));
        resident.addAll(optState);
        for (int i = 0; i < count; i++) {
            if (plan.ownsOutput(i)) resident.add(acts[i]);
            if (plan.ownsGradient(i)) resident.add(dacts[i]);
        }
        for (TornadoOp op : ops) resident.addAll(List.of(op.ownArrays()));
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, resident.toArray());
        for (TornadoOp op : ops) op.forward(g);
        g.task("softmax_loss", Kernels::softmaxCrossEntropy, logits, y, dacts[count - 1], rowLoss, rowCorrect, meta, classes, capacity);
        g.task("loss_sum", Kernels::reduceScalars, rowLoss, rowCorrect, scalars, meta);
        for (int i = ops.size() - 1; i >= 0; i--) ops.get(i).backward(g);
        if (opt instanceof Adam a) {
            g.task("adam", Kernels::adam, params, grads, optState.get(0), optState.get(1), hyper, scalars, meta, a.beta1(), a.beta2(), a.epsilon(), paramCount);
        } else {
            SGD s = (SGD) opt;
            g.task("sgd", Kernels::sgd, params, grads, optState.get(0), scalars, meta, s.learningRate(), s.momentum(), paramCount);
        }
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, scalars);
        List<Object> onDemand = new ArrayList<>(List.of(params, grads, logits));
        onDemand.addAll(optState);
        g.transferToHost(DataTransferMode.UNDER_DEMAND, onDemand.toArray());
        perStepIn = x.getNumBytesOfSegmentWithHeader() + y.getNumBytesOfSegmentWithHeader() + meta.getNumBytesOfSegmentWithHeader()
                + hyper.getNumBytesOfSegmentWithHeader();
        perStepOut = scalars.getNumBytesOfSegmentWithHeader();

        executionPlan = new TornadoExecutionPlan(g.snapshot());
        executionPlan.withDevice(device);
        copyIn();
        long t0 = System.nanoTime();
        run(0, 0, 0);   // compiles every kernel and uploads the resident state; with n = 0 no task does any work
        compileSeconds = (System.nanoTime() - t0) / 1e9;
    }

    private TornadoExecutionResult run(int n, int train, int labels) {
        meta.set(3, (int) (net.optimizer().iterations() + train));   // the step number: the next update's when training
        meta.set(0, n);
        meta.set(1, train);
        meta.set(2, labels);
        last = executionPlan.execute();
        executed = true;
        executions++;
        bytesToDevice += perStepIn;
        bytesFromDevice += perStepOut;
        return last;
    }

    private void copyIn() {
        MemorySegment.copy(net.parameters(), 0, params.getSegment(), 0, (long) paramCount * 4);
        List<MemorySegment> st = net.optimizer().state();
        for (int i = 0; i < optState.size(); i++) MemorySegment.copy(st.get(i), 0, optState.get(i).getSegment(), 0, (long) paramCount * 4);
    }

    // ---------------------------------------------------------------- Backend

    @Override public String description() {
        return "TornadoVM: " + TornadoDevices.describe(device);
    }

    /** The device this backend runs on. */
    public TornadoDevice device() { return device; }

    /** Largest batch one call accepts. */
    public int capacity() { return capacity; }

    /** Seconds the first execution took: TornadoVM's compilation of every kernel and the first transfers. */
    public double compileSeconds() { return compileSeconds; }

    /** Bytes sent to the device by the step graph's per-execution transfers so far (arrays with their headers). */
    public long bytesToDevice() { return bytesToDevice; }

    /** Bytes read back by the per-execution transfers so far (on-demand reads not included). */
    public long bytesFromDevice() { return bytesFromDevice; }

    /** Executions of the step graph so far (the compiling one included). */
    public long executions() { return executions; }

    @Override public int reserve(int n, boolean training) {
        if (n < 1) throw new IllegalArgumentException("batch size must be >= 1");
        if (training && n > capacity) throw new IllegalArgumentException("batch of " + n + " samples; this TornadoVM plan holds 1 to " + capacity);
        return Math.min(n, capacity);
    }

    @Override public MemorySegment input() { return x.getSegment(); }
    @Override public MemorySegment target() { return y.getSegment(); }

    private void checkBatch(int n) {
        if (n < 1 || n > capacity) throw new IllegalArgumentException("batch of " + n + " samples; this TornadoVM plan holds 1 to " + capacity);
    }

    private StepResult result(int n) {
        return new StepResult(scalars.get(0), Math.round(scalars.get(1)), n, scalars.get(2) == 0f);
    }

    @Override public StepResult trainStep(int n) {
        checkBatch(n);
        Optimizer opt = net.optimizer();
        long t = opt.iterations() + 1;
        if (opt instanceof SGD && opt.learningRate() != sgdRate) {
            throw new IllegalStateException("the TornadoVM backend compiled SGD with learning rate " + sgdRate + "; it was changed to "
                    + opt.learningRate() + " (a callback?), which needs a new backend");
        }
        if (opt instanceof Adam a) hyper.set(0, a.stepSize(t));
        run(n, 1, 1);
        opt.setIterations(t);
        return result(n);
    }

    @Override public StepResult evaluate(int n) {
        checkBatch(n);
        run(n, 0, 1);
        return result(n);
    }

    @Override public void predict(int n, MemorySegment out) {
        checkBatch(n);
        run(n, 0, 0);
        last.transferToHost(logits);
        MemorySegment.copy(logits.getSegment(), 0, out, 0, (long) n * classes * 4);
    }

    @Override public void pullState() {
        if (last != null) {
            Object[] state = new Object[1 + optState.size()];
            state[0] = params;
            for (int i = 0; i < optState.size(); i++) state[i + 1] = optState.get(i);
            last.transferToHost(state);
        }
        MemorySegment.copy(params.getSegment(), 0, net.parameters(), 0, (long) paramCount * 4);
        List<MemorySegment> st = net.optimizer().state();
        for (int i = 0; i < optState.size(); i++) MemorySegment.copy(optState.get(i).getSegment(), 0, st.get(i), 0, (long) paramCount * 4);
    }

    @Override public void pushState() {
        copyIn();
        // the resident arrays were transferred on the first execution; freeing the device memory makes the next
        // execution a first one again, which uploads them (the compiled kernels stay cached)
        if (executed) executionPlan.freeDeviceMemory();
    }

    /** Copies the device's gradients (of the last training step) into the network's gradient segment. */
    public void pullGradients() {
        if (last != null) last.transferToHost(grads);
        MemorySegment.copy(grads.getSegment(), 0, net.gradients(), 0, (long) paramCount * 4);
    }

    /**
     * One part: the whole step graph (TornadoVM runs a graph, not single tasks); per-kernel times come from
     * TornadoVM's own profiler ({@code -Dtornado.profiler=True}).
     */
    @Override public LinkedHashMap<String, Runnable> parts(int n) {
        checkBatch(n);
        LinkedHashMap<String, Runnable> m = new LinkedHashMap<>();
        m.put("training step (one task graph)", () -> {
            Optimizer opt = net.optimizer();
            if (opt instanceof Adam a) hyper.set(0, a.stepSize(Math.max(1, opt.iterations())));
            run(n, 1, 1);
        });
        return m;
    }

    /**
     * Mean device milliseconds per task of the step graph, slowest first, over {@code reps} training steps of {@code n} samples (on the
     * current device arrays), from TornadoVM's own profiler, with the whole execution's wall time and the transfer
     * times TornadoVM measured. The steps move the weights, as a training step does.
     */
    public String profile(int n, int reps) {
        checkBatch(n);
        java.util.Map<String, Double> kernelMs = new java.util.LinkedHashMap<>();
        double wall = 0, copyIn = 0, copyOut = 0;
        executionPlan.withProfiler(uk.ac.manchester.tornado.api.enums.ProfilerMode.SILENT);
        try {
            Optimizer opt = net.optimizer();
            for (int r = 0; r <= reps; r++) {
                if (opt instanceof Adam a) hyper.set(0, a.stepSize(opt.iterations() + 1));
                long t0 = System.nanoTime();
                TornadoExecutionResult res = run(n, 1, 1);
                opt.setIterations(opt.iterations() + 1);
                if (r == 0) continue;   // the first one after enabling the profiler, not counted
                wall += (System.nanoTime() - t0) / 1e6;
                var pr = res.getProfilerResult();
                copyIn += pr.getDeviceWriteTime() / 1e6;
                copyOut += pr.getDeviceReadTime() / 1e6;
                com.fasterxml.jackson.databind.JsonNode log = new com.fasterxml.jackson.databind.ObjectMapper().readTree(pr.getProfileLog());
                log.fields().forEachRemaining(graph -> graph.getValue().fields().forEachRemaining(task -> {
                    com.fasterxml.jackson.databind.JsonNode k = task.getValue().path("TASK_KERNEL_TIME");
                    if (!k.isMissingNode()) kernelMs.merge(task.getKey().substring(task.getKey().lastIndexOf('.') + 1), k.asDouble() / 1e6, Double::sum);
                }));
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("TornadoVM's profile log is not JSON: " + e.getMessage(), e);
        } finally {
            executionPlan.withoutProfiler();
        }
        StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT, "%-34s %10s   (%s, batch %d, %d steps)%n", "task",
                "ms", TornadoDevices.describe(device), n, reps));
        double total = 0;
        List<java.util.Map.Entry<String, Double>> sorted = new ArrayList<>(kernelMs.entrySet());
        sorted.sort(java.util.Map.Entry.<String, Double>comparingByValue().reversed());
        for (var e : sorted) {
            sb.append(String.format(java.util.Locale.ROOT, "%-34s %10.3f%n", e.getKey(), e.getValue() / reps));
            total += e.getValue() / reps;
        }
        sb.append(String.format(java.util.Locale.ROOT, "%-34s %10.3f%n", "sum of kernels", total));
        sb.append(String.format(java.util.Locale.ROOT, "%-34s %10.3f%n", "transfers in / out", copyIn / reps));
        sb.append(String.format(java.util.Locale.ROOT, "%-34s %10.3f%n", "", copyOut / reps));
        sb.append(String.format(java.util.Locale.ROOT, "%-34s %10.3f%n", "wall time of a step", wall / reps));
        return sb.toString();
    }

    @Override public void close() {
        try {
            executionPlan.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the TornadoVM execution plan: " + e.getMessage(), e);
        }
    }
}
