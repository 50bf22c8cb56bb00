package dev.panamacnn.models;

import dev.panamacnn.data.Dataset;
import dev.panamacnn.exec.Backend;
import dev.panamacnn.exec.CpuBackend;
import dev.panamacnn.exec.Model;
import dev.panamacnn.exec.Network;
import dev.panamacnn.exec.Plan;
import dev.panamacnn.exec.StepResult;
import dev.panamacnn.io.ModelFormatException;
import dev.panamacnn.io.ModelIO;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.optim.Optimizer;
import dev.panamacnn.runtime.Parallel;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.train.EvalResult;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.train.History;
import dev.panamacnn.train.Trainer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A linear stack of layers, used like Keras' {@code Sequential}:
 * <pre>{@code
 * var model = new Sequential(new Conv2D(32, 5, 5, Activation.RELU, Shape.of(28, 28, 1)), ...);
 * model.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
 * History h = model.fit(train, 128, 10);
 * EvalResult r = model.evaluate(test);
 * }</pre>
 *
 * <p>A facade: {@code compile} makes the {@link Network} (the plan, one parameter and one gradient segment, the
 * optimizer's state) and a {@link CpuBackend} for it; {@code fit}, {@code evaluate} and {@code predict} are a
 * {@link Trainer} over the current backend, which is the CPU engine unless {@link #accelerate} attached another.
 */
public final class Sequential implements Model, AutoCloseable {
    private final List<Layer> layers = new ArrayList<>();
    private long seed = 42;
    private int threads = Parallel.defaultThreads();
    private Plan plan;
    private Network net;
    private CpuBackend cpu;
    private Backend backend;
    /** The training loop over the current backend, made once per backend (predict on one image must not allocate it). */
    private Trainer trainer;

    public Sequential(Layer... layers) {
        for (Layer l : layers) add(l);
    }

    public Sequential add(Layer layer) {
        if (net != null) throw new IllegalStateException("add() after compile()");
        layers.add(layer);
        return this;
    }

    /** Seed for weight initialization and shuffling (default 42); call before {@code compile}. */
    public Sequential seed(long seed) { this.seed = seed; return this; }

    /** Worker threads (default: all processors). Results do not depend on this number. */
    public Sequential threads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        if (cpu != null) cpu.threads(threads);
        return this;
    }

    @Override public int threadCount() { return threads; }
    public long seedValue() { return seed; }
    public List<Layer> layers() { return List.copyOf(layers); }
    public Optimizer optimizer() { return net == null ? null : net.optimizer(); }
    public Loss loss() { return net == null ? null : net.loss(); }
    public List<Metric> metrics() { return net == null ? List.of() : net.metrics(); }
    public Shape inputShape() { return plan == null ? null : plan.inputShape(); }
    public Shape outputShape() { return layers.get(layers.size() - 1).outputShape(); }

    /**
     * Names the layers and infers every shape from the first layer's input shape, without allocating anything
     * (so a model file can be checked against its weights before memory is committed). {@code compile} calls it.
     */
    public Sequential build() {
        if (plan == null) plan = Plan.build(layers);
        return this;
    }

    /** Builds the layers, allocates and initializes the parameters (Glorot-uniform kernels, zero biases). */
    public void compile(Optimizer optimizer, Loss loss, Metric... metrics) {
        compile(optimizer, loss, true, metrics);
    }

    /** {@link #compile}; without {@code initialize} the parameters stay zero, for {@link #load}, which overwrites every one. */
    private void compile(Optimizer optimizer, Loss loss, boolean initialize, Metric... metrics) {
        if (optimizer == null || loss == null) throw new IllegalArgumentException("compile: optimizer and loss are required");
        if (net != null) throw new IllegalStateException("compile() called twice");
        build();
        net = new Network(plan, optimizer, loss, List.of(metrics), seed, initialize);
        cpu = new CpuBackend(net, threads);
        backend = cpu;
    }

    @Override public Network network() {
        if (net == null) throw new IllegalStateException("call compile() first");
        return net;
    }

    public long paramCount() { return network().paramCount(); }

    /**
     * Runs training, evaluation and prediction on {@code backend} from now on (null: back on the CPU engine, after
     * copying the backend's weights back). The backend must have been made for this model.
     */
    public Sequential accelerate(Backend backend) {
        network();
        if (this.backend != cpu && this.backend != backend) this.backend.pullState();
        this.backend = backend == null ? cpu : backend;
        this.trainer = null;
        return this;
    }

    /** The backend that runs the model now: the CPU engine, or the one attached with {@link #accelerate}. */
    public Backend backend() { network(); return backend; }

    /** The CPU engine's backend (for its profiler and per-op parts). */
    public CpuBackend cpu() { network(); return cpu; }

    /** Brings the host parameters and optimizer state up to date from the backend. */
    public void syncFromDevice() { backend().pullState(); }

    /**
     * The whole parameter segment (every layer's kernel, then bias), live: writes into it change the model. Call
     * {@link #syncFromDevice()} first on a device. {@code predict} caches kernels it packs for small batches until the
     * weights change; each call of this method counts as a change, so code that keeps the segment and writes into
     * it later calls {@link #weightsChanged()} before the next {@code predict}.
     */
    public MemorySegment parameters() { return network().parameters(); }

    /** Says the weights were written through a kept {@link #parameters()} segment (drops predict's packed-kernel caches). */
    public void weightsChanged() { network().weightsVersion().bump(); }

    /** The gradient segment of the last training step (same layout as {@link #parameters()}). */
    public MemorySegment gradients() { return network().gradients(); }

    /** Offset (in floats) of layer {@code index}'s first parameter in {@link #parameters()}. */
    public long paramOffset(int index) { return network().plan().paramOffset(index); }

    /** {@code layer/param[index]} for a flat parameter index. */
    public String paramName(long flat) { return network().plan().paramName(flat); }

    /** Keras-style summary table. */
    public String summary() {
        Network n = network();
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
        long trainable = n.plan().trainableCount();
        sb.append(dbl).append('\n');
        sb.append(String.format(Locale.ROOT, "Total params: %,d%n", n.paramCount()));
        sb.append(String.format(Locale.ROOT, "Trainable params: %,d%n", trainable));
        sb.append(String.format(Locale.ROOT, "Non-trainable params: %,d%n", n.paramCount() - trainable)).append(rule).append('\n');
        return sb.toString();
    }

    private Trainer trainer() {
        if (trainer == null) trainer = new Trainer(network(), backend);
        return trainer;
    }

    /** One gradient step on a batch, like Keras' {@code train_on_batch}. */
    public StepResult trainOnBatch(Tensor x, Tensor y) { return trainer().trainOnBatch(x, y); }

    public History fit(Dataset train, int batchSize, int epochs) {
        return fit(train, FitOptions.builder().batchSize(batchSize).epochs(epochs).build());
    }

    /** Keras' {@code fit}: see {@link Trainer#fit}. */
    public History fit(Dataset train, FitOptions o) { return trainer().fit(train, o); }

    public EvalResult evaluate(Dataset data) { return evaluate(data, 128); }

    /** Mean loss and accuracy over {@code data}, in batches of {@code batchSize}. */
    public EvalResult evaluate(Dataset data, int batchSize) { return trainer().evaluate(data, batchSize); }

    /** Output probabilities {@code (N, classes)} for inputs {@code (N, ...)}. */
    public Tensor predict(Tensor x) { return predict(x, 128); }

    public Tensor predict(Tensor x, int batchSize) { return trainer().predict(x, batchSize); }

    /** Arg-max class of each prediction. */
    public int[] predictClasses(Tensor x) { return Trainer.classes(predict(x)); }

    /**
     * The parts of one CPU training step on batch {@code (x, y)} by name, in step order ({@link CpuBackend#parts}):
     * the batch is loaded and one full step is run first, so every part finds its buffers filled.
     */
    public java.util.LinkedHashMap<String, Runnable> stepParts(Tensor x, Tensor y) {
        if (backend != cpu) throw new IllegalStateException("stepParts measures the CPU engine; detach the accelerator first");
        trainOnBatch(x, y);
        return cpu.parts(x.shape().dim(0));
    }

    /**
     * Writes the model as ONNX ({@link dev.panamacnn.io.onnx.OnnxExport}: opset 17, NHWC input {@code input}, output
     * {@code probabilities}), atomically; the graph is named {@code name}.
     *
     * @throws IllegalArgumentException naming the layer that has no ONNX form
     */
    public void exportOnnx(Path file, String name) throws IOException {
        syncFromDevice();
        dev.panamacnn.io.onnx.OnnxExport.write(network(), name, file);
    }

    /** {@link #exportOnnx(Path, String)} with the graph named {@code sequential}. */
    public void exportOnnx(Path file) throws IOException { exportOnnx(file, "sequential"); }

    /**
     * The model an ONNX file describes ({@link dev.panamacnn.io.onnx.OnnxImport}: a chain of Conv, Gemm, pooling,
     * BatchNormalization, activations ... as {@code torch.onnx.export} writes it), compiled with Adam and categorical
     * cross-entropy (recompile to train it otherwise), its weights in place. It takes NHWC inputs.
     *
     * @throws ModelFormatException naming the file and the node that is not supported or not valid
     */
    public static Sequential fromOnnx(Path file) throws IOException {
        long size = java.nio.file.Files.size(file);
        if (size > Integer.MAX_VALUE - 64) throw new ModelFormatException(file, "is " + size + " bytes; at most 2 GiB are supported");
        var r = dev.panamacnn.io.onnx.OnnxImport.read(file, java.nio.file.Files.readAllBytes(file));
        Sequential m = new Sequential(r.layers().toArray(new Layer[0]));
        try {
            m.compile(new dev.panamacnn.optim.Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        } catch (IllegalArgumentException | IllegalStateException e) {
            m.close();
            throw new ModelFormatException(file, "the graph does not make a valid model: " + e.getMessage());
        }
        MemorySegment p = m.parameters();
        for (int i = 0; i < r.layers().size(); i++) {
            long off = m.paramOffset(i);
            var specs = r.layers().get(i).paramSpecs();
            var w = r.weights().get(i);
            if (w.size() != specs.size()) {
                m.close();
                throw new ModelFormatException(file, "layer " + r.layers().get(i).name() + ": " + w.size() + " weight tensors for " + specs.size() + " parameters");
            }
            for (int j = 0; j < specs.size(); j++) {
                if (w.get(j).length != specs.get(j).size()) {
                    m.close();
                    throw new ModelFormatException(file, "layer " + r.layers().get(i).name() + "/" + specs.get(j).name() + ": " + w.get(j).length
                            + " values for a tensor of shape " + specs.get(j).shape());
                }
                MemorySegment.copy(w.get(j), 0, p, java.lang.foreign.ValueLayout.JAVA_FLOAT, off * 4, w.get(j).length);
                off += specs.get(j).size();
            }
        }
        m.onnxNotes = r.notes();
        return m;
    }

    private List<String> onnxNotes = List.of();

    /** What {@link #fromOnnx} did that changes how the model is used (its input layout, an added softmax). */
    public List<String> importNotes() { return onnxNotes; }

    /** Saves {@code model.json} and {@code weights.bin} into {@code dir}, atomically. */
    public void save(Path dir) throws IOException {
        syncFromDevice();
        ModelIO.save(network(), dir);
    }

    /**
     * The (uncompiled) model that Keras' {@code model.to_json()} describes, Keras 3 or tf.keras 2 layout
     * ({@link KerasJson}); compile it, then train it as usual.
     *
     * @throws dev.panamacnn.nn.LayerConfigException naming the layer and argument when something is not supported
     */
    public static Sequential fromKerasJson(String json) {
        return new Sequential(KerasJson.layers("model JSON", json).toArray(new Layer[0]));
    }

    /** {@link #fromKerasJson(String)} from a file, named in every error. */
    public static Sequential fromKerasJson(Path file) throws IOException {
        String text;
        try {
            text = java.nio.file.Files.readString(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new java.nio.file.NoSuchFileException(file + ": no such Keras model JSON file");
        }
        Sequential m = new Sequential(KerasJson.layers(file.toString(), text).toArray(new Layer[0]));
        try {
            m.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new dev.panamacnn.nn.LayerConfigException(file + ": the architecture is not valid: " + e.getMessage());
        }
        return m;
    }

    /**
     * A Keras model: the architecture from {@code model.to_json()} ({@link #fromKerasJson(Path)}) and the weights
     * Keras saved ({@link dev.panamacnn.io.keras.KerasWeights}: a Keras 3 {@code .weights.h5}, a {@code .keras}
     * archive, or a Keras 2 {@code .h5}), compiled with {@code optimizer}, {@code loss} and {@code metrics}.
     */
    public static Sequential fromKeras(Path json, Path weights, Optimizer optimizer, Loss loss, Metric... metrics) throws IOException {
        String text = java.nio.file.Files.readString(json);
        KerasJson.Parsed p = KerasJson.parse(json.toString(), text);
        Sequential m = new Sequential(p.layers().toArray(new Layer[0]));
        try {
            m.compile(optimizer, loss, metrics);
            dev.panamacnn.io.keras.KerasWeights.load(weights, m.plan.layers(), p.names(), m.net);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /** Loads a model saved with {@link #save}, validated before anything is allocated; it predicts exactly as the saved one did. */
    public static Sequential load(Path dir) throws IOException {
        ModelIO.Saved s = ModelIO.read(dir);
        Sequential model = new Sequential(s.spec().layers().toArray(new Layer[0])).seed(s.spec().seed());
        try {
            model.build();
            ModelIO.checkWeights(s.weightsFile(), s.weights(), model.plan);
            // no random initialization: checkWeights has made sure the file holds every parameter, and takeWeights copies them all
            model.compile(s.spec().optimizer(), s.spec().loss(), false, s.spec().metrics().toArray(new Metric[0]));
        } catch (IllegalArgumentException | IllegalStateException e) {
            model.close();
            throw new ModelFormatException(s.json(), "the architecture is not valid: " + e.getMessage());
        } catch (ModelFormatException e) {
            model.close();
            throw e;
        }
        try {
            ModelIO.takeWeights(s.weightsFile(), s.weights(), model.net);
        } catch (ModelFormatException e) {
            model.close();
            throw e;
        }
        return model;
    }

    @Override public void close() {
        if (cpu != null) cpu.close();
        if (net != null) net.close();
        cpu = null; backend = null; net = null; trainer = null;
    }
}
