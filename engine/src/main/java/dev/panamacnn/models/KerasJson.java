package dev.panamacnn.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.panamacnn.nn.InputLayer;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.LayerConfigException;
import dev.panamacnn.nn.LayerRegistry;
import dev.panamacnn.tensor.Shape;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads the architecture JSON that Keras' {@code model.to_json()} writes for a {@code Sequential} model, in both
 * layouts: Keras 3 (objects with {@code module} and {@code registered_name}, {@code InputLayer} with
 * {@code batch_shape}, {@code DTypePolicy} dtypes, {@code build_config}) and tf.keras 2 ({@code batch_input_shape}, plain
 * dtype strings, {@code keras_version}). Each layer is read by its registered type ({@link LayerRegistry}) with the
 * strict rule of {@code ConfigReader}: an argument panama-cnn does not implement is refused in one line naming the
 * layer, the argument and what is supported, never silently dropped. Layer names are Keras' own bookkeeping; the model
 * names its layers again, as Keras does.
 */
public final class KerasJson {
    private KerasJson() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> LAYER_KEYS = Set.of("class_name", "config", "module", "registered_name", "build_config", "name",
            "compile_config");

    /**
     * The layers of the Sequential model that {@code json} describes; {@code source} names it in errors.
     *
     * @throws LayerConfigException for anything not valid or not supported, naming the place
     */
    public static List<Layer> layers(String source, String json) { return parse(source, json).layers(); }

    /** The layers and, for each, its Keras name (null for an InputLayer added for a model without one). */
    public record Parsed(List<Layer> layers, List<String> names) {}

    /** {@link #layers}, with the Keras layer names (which weight files are keyed by). */
    public static Parsed parse(String source, String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new LayerConfigException(source + ": not valid JSON (" + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr() + ")");
        }
        if (root == null || !root.isObject()) throw new LayerConfigException(source + ": expected the JSON object that model.to_json() writes");
        String cls = root.path("class_name").asText("");
        if (!cls.equals("Sequential")) {
            throw new LayerConfigException(source + ": class_name is '" + cls + "'; only Sequential models are supported (a Functional model "
                    + "whose layers form a chain can be rebuilt as keras.Sequential)");
        }
        JsonNode config = root.path("config");
        if (!config.path("trainable").asBoolean(true)) throw new LayerConfigException(source + ": a frozen model (trainable=false) is not supported");
        JsonNode dtype = config.path("dtype");
        String d = dtype.isTextual() ? dtype.asText() : dtype.path("config").path("name").asText("float32");
        if (!d.equals("float32")) throw new LayerConfigException(source + ": config.dtype: only float32 is supported, got " + dtype);
        JsonNode layers = config.isArray() ? config : config.path("layers");   // very old Keras wrote the list itself
        if (!layers.isArray() || layers.isEmpty()) throw new LayerConfigException(source + ": config.layers is missing or empty");
        List<Layer> out = new ArrayList<>();
        List<String> names = new ArrayList<>();
        int i = 0;
        for (JsonNode l : layers) {
            String name = l.path("config").path("name").asText("");
            String where = source + ": layers[" + i + "]" + (name.isEmpty() ? "" : " (" + name + ")");
            String lcls = l.path("class_name").asText("");
            for (Iterator<String> it = l.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!LAYER_KEYS.contains(f)) throw new LayerConfigException(where + ": '" + f + "' is not supported in a Sequential layer");
            }
            JsonNode reg = l.path("registered_name");
            if (!reg.isMissingNode() && !reg.isNull() && !reg.asText().equals(lcls)) {
                throw new LayerConfigException(where + ": custom layer '" + reg.asText() + "' is not supported");
            }
            String module = l.path("module").asText("keras.layers");
            if (!module.startsWith("keras")) throw new LayerConfigException(where + ": layer from module '" + module + "' is not supported");
            if (i == 0 && !lcls.equals("InputLayer") && !hasInputShape(l.path("config"))) {
                Shape s = buildShape(config, l);
                if (s == null) throw new LayerConfigException(where + ": the model has no input shape (no InputLayer, batch_input_shape or build_input_shape)");
                out.add(new InputLayer(s));
                names.add(null);
            }
            out.add(LayerRegistry.fromConfig(where, lcls, l.path("config")));
            names.add(name.isEmpty() ? null : name);
            i++;
        }
        return new Parsed(out, names);
    }

    private static boolean hasInputShape(JsonNode c) {
        return c.hasNonNull("batch_input_shape") || c.hasNonNull("batch_shape");
    }

    /** Keras 3's {@code config.build_input_shape} or the first layer's {@code build_config.input_shape}. */
    private static Shape buildShape(JsonNode config, JsonNode first) {
        JsonNode s = config.path("build_input_shape");
        if (!s.isArray()) s = first.path("build_config").path("input_shape");
        if (!s.isArray() || s.size() < 2) return null;
        int[] d = new int[s.size() - 1];
        for (int k = 1; k < s.size(); k++) {
            if (!s.get(k).canConvertToInt() || s.get(k).asInt() < 1) return null;
            d[k - 1] = s.get(k).asInt();
        }
        return Shape.of(d);
    }
}
