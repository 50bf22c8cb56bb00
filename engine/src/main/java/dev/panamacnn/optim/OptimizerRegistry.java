package dev.panamacnn.optim;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The optimizers that model files and checkpoints can name, by Keras name: one registration line per optimizer.
 * Each reads its own {@code compile_config.optimizer} object (Keras' field names and defaults).
 */
public final class OptimizerRegistry {
    private OptimizerRegistry() {}

    private static final Map<String, Function<JsonNode, Optimizer>> TYPES = new LinkedHashMap<>();

    static {
        register("Adam", Adam::fromConfig);
        register("SGD", SGD::fromConfig);
        register("AdamW", AdamW::fromConfig);
        register("RMSprop", RMSprop::fromConfig);
    }

    public static synchronized void register(String name, Function<JsonNode, Optimizer> reader) {
        if (TYPES.putIfAbsent(name, reader) != null) throw new IllegalStateException("optimizer " + name + " is registered twice");
    }

    /**
     * The optimizer that {@code config} describes.
     *
     * @throws IllegalArgumentException naming the unknown name or the bad setting
     */
    public static synchronized Optimizer fromConfig(JsonNode config) {
        String name = config.path("name").asText("");
        Function<JsonNode, Optimizer> r = TYPES.get(name);
        if (r == null) {
            throw new IllegalArgumentException("optimizer.name '" + name + "' is not supported (expected " + String.join(" or ", TYPES.keySet()) + ")");
        }
        return r.apply(config);
    }
}
