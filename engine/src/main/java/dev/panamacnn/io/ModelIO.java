package dev.panamacnn.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.panamacnn.data.AtomicFiles;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.nn.Activation;
import dev.panamacnn.nn.Conv2D;
import dev.panamacnn.nn.Dense;
import dev.panamacnn.nn.Flatten;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.MaxPool2D;
import dev.panamacnn.nn.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.optim.Optimizer;
import dev.panamacnn.optim.SGD;
import dev.panamacnn.tensor.Shape;
import dev.panamacnn.train.Metric;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Model files: {@code model.json} (architecture and compile settings, field names as in Keras'
 * {@code model.to_json()}) and {@code weights.bin} (a {@link TensorFile} with one float32 tensor per layer
 * parameter, named {@code layer/kernel}, {@code layer/bias}).
 */
public final class ModelIO {
    private ModelIO() {}

    public static final String MODEL_JSON = "model.json", WEIGHTS = "weights.bin";

    /** The model's architecture and compile settings as Keras-like JSON. */
    public static ObjectNode toJson(Sequential model) {
        ObjectNode root = TensorFile.JSON.createObjectNode();
        root.put("class_name", "Sequential");
        ObjectNode config = root.putObject("config");
        config.put("name", "sequential");
        ArrayNode layers = config.putArray("layers");
        for (Layer l : model.layers()) {
            ObjectNode o = layers.addObject();
            o.put("class_name", l.kerasClassName());
            o.set("config", TensorFile.JSON.valueToTree(l.config()));
        }
        ObjectNode compile = root.putObject("compile_config");
        compile.set("optimizer", TensorFile.JSON.valueToTree(model.optimizer().config()));
        compile.put("loss", model.loss().kerasName());
        ArrayNode metrics = compile.putArray("metrics");
        for (Metric m : model.metrics()) metrics.add(m.kerasName());
        root.put("seed", model.seedValue());
        root.put("panama_cnn_format", 1);
        return root;
    }

    /** Builds and compiles a model from {@link #toJson} output; weights are freshly initialized. */
    public static Sequential fromJson(Path file, JsonNode root) throws ModelFormatException {
        return fromJson(file, root, null, null);
    }

    /** As {@link #fromJson(Path, JsonNode)}, checking {@code weights} against the architecture before allocating. */
    static Sequential fromJson(Path file, JsonNode root, Path weightsFile, TensorFile weights) throws ModelFormatException {
        if (root == null || !root.isObject()) throw new ModelFormatException(file, "expected a JSON object");
        if (!"Sequential".equals(root.path("class_name").asText())) {
            throw new ModelFormatException(file, "class_name is '" + root.path("class_name").asText() + "'; only Sequential models are supported");
        }
        JsonNode layers = root.path("config").path("layers");
        if (!layers.isArray() || layers.isEmpty()) throw new ModelFormatException(file, "config.layers is missing or empty");
        List<Layer> list = new ArrayList<>();
        int i = 0;
        for (JsonNode l : layers) {
            String where = "config.layers[" + i++ + "]";
            list.add(layer(file, where, l.path("class_name").asText(""), l.path("config")));
        }
        Sequential model = new Sequential(list.toArray(new Layer[0]));
        model.seed(root.path("seed").asLong(42));
        JsonNode compile = root.path("compile_config");
        Optimizer opt = optimizer(file, compile.path("optimizer"));
        String loss = compile.path("loss").asText("");
        Loss lossFn = null;
        for (Loss x : Loss.values()) if (x.kerasName().equals(loss)) lossFn = x;
        if (lossFn == null) throw new ModelFormatException(file, "compile_config.loss '" + loss + "' is not supported (expected categorical_crossentropy)");
        List<Metric> metrics = new ArrayList<>();
        for (JsonNode m : compile.path("metrics")) {
            Metric found = null;
            for (Metric x : Metric.values()) if (x.kerasName().equals(m.asText())) found = x;
            if (found == null) throw new ModelFormatException(file, "compile_config.metrics: unknown metric '" + m.asText() + "'");
            metrics.add(found);
        }
        try {
            model.build();
            if (weights != null) checkWeights(weightsFile, weights, model);
            model.compile(opt, lossFn, metrics.toArray(new Metric[0]));
        } catch (IllegalArgumentException | IllegalStateException e) {
            model.close();
            throw new ModelFormatException(file, "the architecture is not valid: " + e.getMessage());
        }
        return model;
    }

    private static int[] ints(Path file, String where, JsonNode n, int count) throws ModelFormatException {
        if (!n.isArray() || n.size() != count) throw new ModelFormatException(file, where + ": expected a list of " + count + " integers, got " + n);
        int[] r = new int[count];
        for (int i = 0; i < count; i++) {
            if (!n.get(i).canConvertToInt() || n.get(i).asInt() < 1) throw new ModelFormatException(file, where + ": expected positive integers, got " + n);
            r[i] = n.get(i).asInt();
        }
        return r;
    }

    private static int posInt(Path file, String where, JsonNode n) throws ModelFormatException {
        if (!n.canConvertToInt() || n.asInt() < 1) throw new ModelFormatException(file, where + ": expected a positive integer, got " + n);
        return n.asInt();
    }

    private static Activation activation(Path file, String where, JsonNode n) throws ModelFormatException {
        try {
            return Activation.fromKerasName(n.asText("linear"));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, where + ": " + e.getMessage());
        }
    }

    private static Shape inputShape(Path file, String where, JsonNode config) throws ModelFormatException {
        JsonNode b = config.path("batch_input_shape");
        if (b.isMissingNode() || b.isNull()) return null;
        if (!b.isArray() || b.size() < 2) throw new ModelFormatException(file, where + ".batch_input_shape: expected [null, d1, ...], got " + b);
        int[] d = new int[b.size() - 1];
        for (int i = 1; i < b.size(); i++) {
            if (!b.get(i).canConvertToInt() || b.get(i).asInt() < 1) throw new ModelFormatException(file, where + ".batch_input_shape: bad dimension " + b.get(i));
            d[i - 1] = b.get(i).asInt();
        }
        try {
            return Shape.of(d);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, where + ".batch_input_shape: " + e.getMessage());
        }
    }

    static Layer layer(Path file, String where, String cls, JsonNode c) throws ModelFormatException {
        try {
            return switch (cls) {
                case "Conv2D" -> {
                    int[] k = ints(file, where + ".kernel_size", c.path("kernel_size"), 2);
                    int[] s = c.has("strides") ? ints(file, where + ".strides", c.path("strides"), 2) : new int[] {1, 1};
                    if (c.has("padding") && !"valid".equals(c.path("padding").asText())) {
                        throw new ModelFormatException(file, where + ".padding: only 'valid' is supported");
                    }
                    yield new Conv2D(posInt(file, where + ".filters", c.path("filters")), k[0], k[1], s[0], s[1],
                            activation(file, where + ".activation", c.path("activation")), inputShape(file, where, c));
                }
                case "MaxPooling2D" -> {
                    int[] p = ints(file, where + ".pool_size", c.path("pool_size"), 2);
                    int[] s = c.has("strides") ? ints(file, where + ".strides", c.path("strides"), 2) : p;
                    yield new MaxPool2D(p[0], p[1], s[0], s[1]);
                }
                case "Flatten" -> new Flatten();
                case "Dense" -> new Dense(posInt(file, where + ".units", c.path("units")),
                        activation(file, where + ".activation", c.path("activation")), inputShape(file, where, c));
                default -> throw new ModelFormatException(file, where + ": unknown layer class '" + cls + "' (expected Conv2D, MaxPooling2D, Flatten or Dense)");
            };
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, where + ": " + e.getMessage());
        }
    }

    static Optimizer optimizer(Path file, JsonNode o) throws ModelFormatException {
        String name = o.path("name").asText("");
        try {
            return switch (name) {
                case "Adam" -> new Adam((float) o.path("learning_rate").asDouble(0.001), (float) o.path("beta_1").asDouble(0.9),
                        (float) o.path("beta_2").asDouble(0.999), (float) o.path("epsilon").asDouble(1e-7));
                case "SGD" -> new SGD((float) o.path("learning_rate").asDouble(0.01), (float) o.path("momentum").asDouble(0));
                default -> throw new ModelFormatException(file, "compile_config.optimizer.name '" + name + "' is not supported (expected Adam or SGD)");
            };
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "compile_config.optimizer: " + e.getMessage());
        }
    }

    /** Every parameter tensor of the model as {@code layer/param}, with shapes, into {@code tf}. */
    public static void putWeights(Sequential model, TensorFile tf) {
        MemorySegment p = model.parameters();
        List<Layer> layers = model.layers();
        for (int i = 0; i < layers.size(); i++) {
            long off = model.paramOffset(i);
            for (Layer.ParamSpec s : layers.get(i).paramSpecs()) {
                tf.putFloats(layers.get(i).name() + "/" + s.name(), s.shape().dims(), p, off);
                off += s.size();
            }
        }
    }

    /** Checks that {@code tf} holds exactly the model's weight tensors with the right shapes (model built, not necessarily compiled). */
    static void checkWeights(Path file, TensorFile tf, Sequential model) throws ModelFormatException {
        List<Layer> layers = model.layers();
        int expected = 0;
        for (int i = 0; i < layers.size(); i++) {
            for (Layer.ParamSpec s : layers.get(i).paramSpecs()) {
                expected++;
                String name = layers.get(i).name() + "/" + s.name();
                TensorFile.Entry e = tf.get(file, name);
                if (e.floats() == null || !java.util.Arrays.equals(e.shape(), s.shape().dims())) {
                    throw new ModelFormatException(file, "tensor '" + name + "' has shape " + java.util.Arrays.toString(e.shape())
                            + ", the model needs " + s.shape());
                }
            }
        }
        long weights = tf.tensors().keySet().stream().filter(n -> n.contains("/") && !n.startsWith("optimizer/")).count();
        if (weights != expected) throw new ModelFormatException(file, "holds " + weights + " weight tensors, the model has " + expected);
    }

    /** Copies the weights from {@code tf} into the model, checking names and shapes first. */
    public static void takeWeights(Path file, TensorFile tf, Sequential model) throws ModelFormatException {
        checkWeights(file, tf, model);
        List<Layer> layers = model.layers();
        MemorySegment p = model.parameters();
        for (int i = 0; i < layers.size(); i++) {
            long off = model.paramOffset(i);
            for (Layer.ParamSpec s : layers.get(i).paramSpecs()) {
                float[] a = tf.get(file, layers.get(i).name() + "/" + s.name()).floats();
                MemorySegment.copy(a, 0, p, ValueLayout.JAVA_FLOAT, off * 4, a.length);
                off += s.size();
            }
        }
    }

    /** Saves {@code model.json} and {@code weights.bin} into {@code dir} (created if needed), each atomically. */
    public static void save(Sequential model, Path dir) throws IOException {
        Files.createDirectories(dir);
        TensorFile tf = new TensorFile();
        tf.meta().put("kind", "weights");
        putWeights(model, tf);
        tf.write(dir.resolve(WEIGHTS));
        AtomicFiles.write(dir.resolve(MODEL_JSON), TensorFile.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(model)));
    }

    /** Loads a model saved by {@link #save}; everything is validated before the model is returned. */
    public static Sequential load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new ModelFormatException(dir, Files.exists(dir) ? "not a directory" : "no such model directory");
        Path json = dir.resolve(MODEL_JSON);
        JsonNode root;
        try {
            root = TensorFile.JSON.readTree(new String(Files.readAllBytes(json), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(json, "no such file");
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(json, "not valid JSON: " + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr());
        }
        Path wf = dir.resolve(WEIGHTS);
        TensorFile tf = TensorFile.read(wf);
        Sequential model = fromJson(json, root, wf, tf);
        try {
            takeWeights(wf, tf, model);
        } catch (ModelFormatException e) {
            model.close();
            throw e;
        }
        return model;
    }

}
