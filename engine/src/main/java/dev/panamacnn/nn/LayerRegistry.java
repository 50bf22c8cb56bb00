package dev.panamacnn.nn;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The layer types that model files, checkpoints and Keras JSON can name, by Keras class name: one registration line
 * per layer. Each layer owns both halves of its format: {@link Layer#config()} writes it, its {@code fromConfig} reads it.
 */
public final class LayerRegistry {
    private LayerRegistry() {}

    private static final Map<String, Function<ConfigReader, Layer>> TYPES = new LinkedHashMap<>();
    private static final Map<String, String> ALIASES = new java.util.HashMap<>();

    static {
        register("InputLayer", InputLayer::fromConfig);
        register("Conv2D", Conv2D::fromConfig);
        register("MaxPooling2D", MaxPool2D::fromConfig);
        register("Flatten", Flatten::fromConfig);
        register("Dense", Dense::fromConfig);
        register("Dropout", Dropout::fromConfig);
        register("AveragePooling2D", AveragePooling2D::fromConfig);
        register("GlobalAveragePooling2D", GlobalAveragePooling2D::fromConfig);
        register("GlobalMaxPooling2D", GlobalMaxPooling2D::fromConfig);
        register("BatchNormalization", BatchNormalization::fromConfig);
        register("Activation", ActivationLayer::fromConfig);
        register("Softmax", ActivationLayer.Softmax::fromConfig);
        register("ReLU", ReLU::fromConfig);
        register("LeakyReLU", LeakyReLU::fromConfig);
        register("Reshape", Reshape::fromConfig);
        register("Rescaling", Rescaling::fromConfig);
        // Keras' aliases (what a hand-written or older JSON may say)
        ALIASES.put("MaxPool2D", "MaxPooling2D");
        ALIASES.put("AvgPool2D", "AveragePooling2D");
        ALIASES.put("GlobalAvgPool2D", "GlobalAveragePooling2D");
        ALIASES.put("GlobalMaxPool2D", "GlobalMaxPooling2D");
    }


    /** Makes {@code className} readable from model files (for layers defined outside panama-cnn, too). */
    public static synchronized void register(String className, Function<ConfigReader, Layer> reader) {
        if (TYPES.putIfAbsent(className, reader) != null) throw new IllegalStateException("layer type " + className + " is registered twice");
    }

    /**
     * The layer that {@code className} and {@code config} describe.
     *
     * @throws LayerConfigException for an unknown type or a bad config, naming {@code where} and the field
     */
    public static synchronized Layer fromConfig(String where, String className, JsonNode config) {
        Function<ConfigReader, Layer> r = TYPES.get(ALIASES.getOrDefault(className, className));
        if (r == null) {
            throw new LayerConfigException(where + ": unknown layer class '" + className + "' (expected " + names() + ")");
        }
        try {
            ConfigReader reader = new ConfigReader(where, config);
            Layer l = r.apply(reader);
            reader.checkAllRead(className);
            return l;
        } catch (LayerConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new LayerConfigException(where + ": " + e.getMessage());
        }
    }

    /** The registered type names, e.g. {@code Conv2D, MaxPooling2D, Flatten or Dense}. */
    public static synchronized String names() {
        String[] n = TYPES.keySet().toArray(new String[0]);
        if (n.length == 1) return n[0];
        return String.join(", ", java.util.Arrays.copyOf(n, n.length - 1)) + " or " + n[n.length - 1];
    }
}
