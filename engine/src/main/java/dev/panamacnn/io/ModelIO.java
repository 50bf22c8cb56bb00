package dev.panamacnn.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.panamacnn.data.AtomicFiles;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.exec.Network;
import dev.panamacnn.exec.Plan;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.LayerRegistry;
import dev.panamacnn.optim.Optimizer;
import dev.panamacnn.optim.OptimizerRegistry;
import dev.panamacnn.loss.Metric;

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
    public static ObjectNode toJson(Network net) {
        ObjectNode root = TensorFile.JSON.createObjectNode();
        root.put("class_name", "Sequential");
        ObjectNode config = root.putObject("config");
        config.put("name", "sequential");
        ArrayNode layers = config.putArray("layers");
        for (Layer l : net.layers()) {
            ObjectNode o = layers.addObject();
            o.put("class_name", l.kerasClassName());
            o.set("config", TensorFile.JSON.valueToTree(l.config()));
        }
        ObjectNode compile = root.putObject("compile_config");
        compile.set("optimizer", TensorFile.JSON.valueToTree(net.optimizer().config()));
        compile.set("loss", TensorFile.JSON.valueToTree(net.loss().toConfig()));
        ArrayNode metrics = compile.putArray("metrics");
        for (Metric m : net.metrics()) metrics.add(m.kerasName());
        root.put("seed", net.seed());
        root.put("panama_cnn_format", 1);
        return root;
    }

    /** What a {@code model.json} describes: the layers (not yet built) and the compile settings. */
    public record Spec(List<Layer> layers, Optimizer optimizer, Loss loss, List<Metric> metrics, long seed) {}

    /** Reads {@link #toJson} output, every field validated; {@code file} is named in every error. */
    public static Spec spec(Path file, JsonNode root) throws ModelFormatException {
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
            try {
                list.add(LayerRegistry.fromConfig(where, l.path("class_name").asText(""), l.path("config")));
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(file, e.getMessage());
            }
        }
        JsonNode compile = root.path("compile_config");
        Optimizer opt;
        try {
            opt = OptimizerRegistry.fromConfig(compile.path("optimizer"));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "compile_config." + e.getMessage());
        }
        JsonNode lossNode = compile.path("loss");
        Loss lossFn;
        try {
            if (lossNode.isObject()) {
                String cls = lossNode.path("class_name").asText("");
                float ls = (float) lossNode.path("config").path("label_smoothing").asDouble(0);
                lossFn = switch (cls) {
                    case "CategoricalCrossentropy" -> Loss.categoricalCrossentropy(ls);
                    case "BinaryCrossentropy" -> Loss.binaryCrossentropy(ls);
                    default -> throw new IllegalArgumentException("loss class '" + cls + "' is not supported (expected CategoricalCrossentropy or BinaryCrossentropy)");
                };
            } else {
                lossFn = Loss.byName(lossNode.asText(""), 0f);
            }
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "compile_config." + e.getMessage());
        }
        List<Metric> metrics = new ArrayList<>();
        for (JsonNode m : compile.path("metrics")) {
            try {
                metrics.add(Metric.byName(m.asText()));
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(file, "compile_config.metrics: " + e.getMessage());
            }
        }
        return new Spec(list, opt, lossFn, metrics, root.path("seed").asLong(42));
    }

    /** Every parameter tensor of the network as {@code layer/param}, with shapes, into {@code tf}. */
    public static void putWeights(Network net, TensorFile tf) {
        for (Plan.Param p : net.plan().params()) tf.putFloats(p.name(), p.spec().shape().dims(), net.parameters(), p.offset());
    }

    /** Checks that {@code tf} holds exactly the plan's weight tensors with the right shapes (nothing allocated yet). */
    public static void checkWeights(Path file, TensorFile tf, Plan plan) throws ModelFormatException {
        List<Plan.Param> params = plan.params();
        for (Plan.Param p : params) {
            TensorFile.Entry e = tf.get(file, p.name());
            if (e.floats() == null || !java.util.Arrays.equals(e.shape(), p.spec().shape().dims())) {
                throw new ModelFormatException(file, "tensor '" + p.name() + "' has shape " + java.util.Arrays.toString(e.shape())
                        + ", the model needs " + p.spec().shape());
            }
        }
        long weights = tf.tensors().keySet().stream().filter(n -> n.contains("/") && !n.startsWith("optimizer/")).count();
        if (weights != params.size()) throw new ModelFormatException(file, "holds " + weights + " weight tensors, the model has " + params.size());
    }

    /** Copies the weights from {@code tf} into the network, checking names and shapes first. */
    public static void takeWeights(Path file, TensorFile tf, Network net) throws ModelFormatException {
        checkWeights(file, tf, net.plan());
        MemorySegment p = net.parameters();
        for (Plan.Param param : net.plan().params()) {
            float[] a = tf.get(file, param.name()).floats();
            MemorySegment.copy(a, 0, p, ValueLayout.JAVA_FLOAT, param.offset() * 4, a.length);
        }
    }

    /** Saves {@code model.json} and {@code weights.bin} into {@code dir} (created if needed), each atomically. */
    public static void save(Network net, Path dir) throws IOException {
        Files.createDirectories(dir);
        TensorFile tf = new TensorFile();
        tf.meta().put("kind", "weights");
        putWeights(net, tf);
        tf.write(dir.resolve(WEIGHTS));
        AtomicFiles.write(dir.resolve(MODEL_JSON), TensorFile.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(net)));
    }

    /** A model folder read and validated, before anything is built: its {@code model.json} and its weights. */
    public record Saved(Path json, Spec spec, Path weightsFile, TensorFile weights) {}

    /** Reads a folder written by {@link #save}; the caller builds the model, {@link #checkWeights} and {@link #takeWeights}. */
    public static Saved read(Path dir) throws IOException {
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
        return new Saved(json, spec(json, root), wf, tf);
    }
}
