package dev.panamacnn.nn;

import com.fasterxml.jackson.databind.JsonNode;
import dev.panamacnn.activations.Activation;
import dev.panamacnn.tensor.Shape;

/**
 * Validated reads of one layer's JSON config, for a layer's {@code fromConfig}: every bad value is a
 * {@link LayerConfigException} naming the field ({@code where} is e.g. {@code config.layers[0]}).
 */
public final class ConfigReader {
    private final String where;
    private final JsonNode c;

    public ConfigReader(String where, JsonNode config) {
        this.where = where;
        this.c = config;
    }

    public String where() { return where; }
    public boolean has(String field) { return c.has(field); }
    public JsonNode node(String field) { return c.path(field); }

    public LayerConfigException error(String field, String problem) {
        return new LayerConfigException(where + (field == null ? "" : "." + field) + ": " + problem);
    }

    /** A list of {@code count} positive integers. */
    public int[] ints(String field, int count) {
        JsonNode n = c.path(field);
        if (!n.isArray() || n.size() != count) throw error(field, "expected a list of " + count + " integers, got " + n);
        int[] r = new int[count];
        for (int i = 0; i < count; i++) {
            if (!n.get(i).canConvertToInt() || n.get(i).asInt() < 1) throw error(field, "expected positive integers, got " + n);
            r[i] = n.get(i).asInt();
        }
        return r;
    }

    /** {@link #ints} when the field is there, else {@code fallback}. */
    public int[] ints(String field, int count, int[] fallback) { return c.has(field) ? ints(field, count) : fallback; }

    public int posInt(String field) {
        JsonNode n = c.path(field);
        if (!n.canConvertToInt() || n.asInt() < 1) throw error(field, "expected a positive integer, got " + n);
        return n.asInt();
    }

    /** The {@code activation} field (default {@code linear}). */
    public Activation activation() {
        try {
            return Activation.fromKerasName(c.path("activation").asText("linear"));
        } catch (IllegalArgumentException e) {
            throw error("activation", e.getMessage());
        }
    }

    /** A string field that must be one of {@code allowed} (default the first). */
    public String oneOf(String field, String... allowed) {
        if (!c.has(field)) return allowed[0];
        String v = c.path(field).asText();
        for (String a : allowed) if (a.equals(v)) return v;
        throw error(field, "only " + (allowed.length == 1 ? "'" + allowed[0] + "'" : String.join(", ", allowed)) + " is supported, got '" + v + "'");
    }

    /** Keras' {@code batch_input_shape} ({@code [null, d1, ...]}), or null when absent. */
    public Shape batchInputShape() {
        JsonNode b = c.path("batch_input_shape");
        if (b.isMissingNode() || b.isNull()) return null;
        if (!b.isArray() || b.size() < 2) throw error("batch_input_shape", "expected [null, d1, ...], got " + b);
        int[] d = new int[b.size() - 1];
        for (int i = 1; i < b.size(); i++) {
            if (!b.get(i).canConvertToInt() || b.get(i).asInt() < 1) throw error("batch_input_shape", "bad dimension " + b.get(i));
            d[i - 1] = b.get(i).asInt();
        }
        try {
            return Shape.of(d);
        } catch (IllegalArgumentException e) {
            throw error("batch_input_shape", e.getMessage());
        }
    }
}
