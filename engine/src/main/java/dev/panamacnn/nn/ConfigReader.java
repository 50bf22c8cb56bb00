package dev.panamacnn.nn;

import com.fasterxml.jackson.databind.JsonNode;
import dev.panamacnn.activations.Activation;
import dev.panamacnn.tensor.Shape;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Validated reads of one layer's JSON config, for a layer's {@code fromConfig}: every bad value is a
 * {@link LayerConfigException} naming the field ({@code where} is e.g. {@code config.layers[0]}).
 *
 * <p>It remembers which fields the layer read, so that {@link #checkAllRead} can refuse the rest: a Keras argument
 * panama-cnn does not implement is an error naming it, never silently ignored. A field whose value is {@code null}
 * (Keras' "none": {@code kernel_regularizer: null}) is fine unread, and so are Keras' bookkeeping fields {@code name},
 * {@code trainable} (when true) and {@code dtype} (when float32).
 */
public final class ConfigReader {
    private final String where;
    private final JsonNode c;
    private final Set<String> read = new LinkedHashSet<>();

    public ConfigReader(String where, JsonNode config) {
        this.where = where;
        this.c = config;
    }

    public String where() { return where; }
    public boolean has(String field) { read.add(field); return c.has(field); }
    public JsonNode node(String field) { read.add(field); return c.path(field); }

    /**
     * Refuses every field the layer did not read, except nulls and the bookkeeping fields.
     *
     * @param layer the Keras class name, for the message
     */
    public void checkAllRead(String layer) {
        if (!c.isObject()) throw error(null, "expected a config object, got " + c);
        JsonNode trainable = c.path("trainable");
        if (!trainable.isMissingNode() && !trainable.isNull() && !trainable.asBoolean(true)) {
            throw error("trainable", layer + ": frozen layers (trainable=false) are not supported");
        }
        JsonNode dtype = c.path("dtype");
        if (!dtype.isMissingNode() && !dtype.isNull()) {
            String d = dtype.isTextual() ? dtype.asText() : dtype.path("config").path("name").asText("");
            if (!d.equals("float32")) throw error("dtype", layer + ": only float32 is supported, got " + dtype);
        }
        List<String> extra = new ArrayList<>();
        for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (read.contains(f) || c.get(f).isNull() || f.equals("name") || f.equals("trainable") || f.equals("dtype")) continue;
            extra.add(f);
        }
        if (!extra.isEmpty()) {
            String f = extra.get(0);
            throw error(f, layer + " argument '" + f + "' = " + c.get(f) + " is not supported (supported: "
                    + String.join(", ", read) + ")");
        }
    }

    /** The field must be absent, null or {@code value}. */
    public void expect(String field, String value) {
        JsonNode n = node(field);
        if (n.isMissingNode() || n.isNull() || n.asText().equals(value)) return;
        throw error(field, "only '" + value + "' is supported, got " + n);
    }

    /** The field must be absent, null or the integer {@code value}. */
    public void expectInt(String field, int value) {
        JsonNode n = node(field);
        if (n.isMissingNode() || n.isNull() || (n.canConvertToInt() && n.asInt() == value)) return;
        throw error(field, "only " + value + " is supported, got " + n);
    }

    /** The field must be absent, null, or the list (or the single integer) {@code values}. */
    public void expectInts(String field, int... values) {
        JsonNode n = node(field);
        if (n.isMissingNode() || n.isNull()) return;
        boolean ok = n.canConvertToInt() ? java.util.Arrays.stream(values).allMatch(v -> v == n.asInt()) : n.isArray() && n.size() == values.length;
        for (int i = 0; ok && n.isArray() && i < values.length; i++) ok = n.get(i).canConvertToInt() && n.get(i).asInt() == values[i];
        if (!ok) throw error(field, "only " + java.util.Arrays.toString(values) + " is supported, got " + n);
    }

    /** A boolean field, {@code fallback} when absent. */
    public boolean bool(String field, boolean fallback) {
        JsonNode n = node(field);
        if (n.isMissingNode() || n.isNull()) return fallback;
        if (!n.isBoolean()) throw error(field, "expected true or false, got " + n);
        return n.asBoolean();
    }

    /** A number field, {@code fallback} when absent or null. */
    public double number(String field, double fallback) {
        JsonNode n = node(field);
        if (n.isMissingNode() || n.isNull()) return fallback;
        if (!n.isNumber()) throw error(field, "expected a number, got " + n);
        return n.asDouble();
    }

    /** The initializer field must be absent or {@code only} (a layer whose initializer is fixed). */
    public void initializerMustBe(String field, ParamSpec.Init only) {
        ParamSpec.Init i = initializer(field, only);
        if (i != only) throw error(field, "only " + only.kerasName() + " is supported, got " + i.kerasName());
    }

    /** Keras' {@code padding}: valid (default) or same. */
    public Padding padding() {
        JsonNode n = node("padding");
        if (n.isMissingNode() || n.isNull()) return Padding.VALID;
        try {
            return Padding.fromKerasName(n.asText());
        } catch (IllegalArgumentException e) {
            throw error("padding", e.getMessage());
        }
    }

    /**
     * An initializer: a name ({@code "he_normal"}) or Keras' object form ({@code {"class_name": "HeNormal",
     * "config": {"seed": null}}}, with or without Keras 3's {@code module}); {@code fallback} when absent.
     */
    public ParamSpec.Init initializer(String field, ParamSpec.Init fallback) {
        JsonNode n = node(field);
        if (n.isMissingNode() || n.isNull()) return fallback;
        String name = n.isTextual() ? n.asText() : n.path("class_name").asText("");
        ParamSpec.Init init = ParamSpec.Init.byName(name);
        if (init == null) throw error(field, "initializer '" + name + "' is not supported (supported: " + ParamSpec.Init.names() + ")");
        if (n.isObject()) {
            for (Iterator<String> it = n.path("config").fieldNames(); it.hasNext(); ) {
                String f = it.next();
                JsonNode v = n.path("config").get(f);
                if (v.isNull()) continue;
                throw error(field + ".config." + f, f.equals("seed")
                        ? "a seeded initializer is not supported (panama-cnn draws every weight from the model's seed, --seed)"
                        : "initializer argument '" + f + "' is not supported");
            }
        }
        return init;
    }

    public LayerConfigException error(String field, String problem) {
        return new LayerConfigException(where + (field == null ? "" : "." + field) + ": " + problem);
    }

    /** A list of {@code count} positive integers (one integer stands for {@code count} copies, as Keras allows). */
    public int[] ints(String field, int count) {
        JsonNode n = node(field);
        if (n.canConvertToInt() && n.isIntegralNumber()) {
            if (n.asInt() < 1) throw error(field, "expected a positive integer, got " + n);
            int[] r = new int[count];
            java.util.Arrays.fill(r, n.asInt());
            return r;
        }
        if (!n.isArray() || n.size() != count) throw error(field, "expected a list of " + count + " integers, got " + n);
        int[] r = new int[count];
        for (int i = 0; i < count; i++) {
            if (!n.get(i).canConvertToInt() || n.get(i).asInt() < 1) throw error(field, "expected positive integers, got " + n);
            r[i] = n.get(i).asInt();
        }
        return r;
    }

    /** {@link #ints} when the field is there, else {@code fallback}. */
    public int[] ints(String field, int count, int[] fallback) { return has(field) && !c.get(field).isNull() ? ints(field, count) : fallback; }

    public int posInt(String field) {
        JsonNode n = node(field);
        if (!n.canConvertToInt() || n.asInt() < 1) throw error(field, "expected a positive integer, got " + n);
        return n.asInt();
    }

    /** The {@code activation} field (default {@code linear}). */
    public Activation activation() {
        try {
            JsonNode a = node("activation");
            return Activation.fromKerasName(a.isNull() ? "linear" : a.asText("linear"));
        } catch (IllegalArgumentException e) {
            throw error("activation", e.getMessage());
        }
    }

    /** A string field that must be one of {@code allowed} (default the first). */
    public String oneOf(String field, String... allowed) {
        if (!has(field) || c.get(field).isNull()) return allowed[0];
        String v = c.path(field).asText();
        for (String a : allowed) if (a.equals(v)) return v;
        throw error(field, "only " + (allowed.length == 1 ? "'" + allowed[0] + "'" : String.join(", ", allowed)) + " is supported, got '" + v + "'");
    }

    /**
     * Keras' {@code batch_input_shape} (tf.keras 2 and panama-cnn) or {@code batch_shape} (Keras 3), {@code [null, d1, ...]};
     * null when absent.
     */
    public Shape batchInputShape() {
        String field = c.has("batch_shape") && !c.has("batch_input_shape") ? "batch_shape" : "batch_input_shape";
        JsonNode b = node(field);
        if (b.isMissingNode() || b.isNull()) return null;
        if (!b.isArray() || b.size() < 2) throw error(field, "expected [null, d1, ...], got " + b);
        int[] d = new int[b.size() - 1];
        for (int i = 1; i < b.size(); i++) {
            if (!b.get(i).canConvertToInt() || b.get(i).asInt() < 1) throw error(field, "bad dimension " + b.get(i) + " (every dimension but the batch must be known)");
            d[i - 1] = b.get(i).asInt();
        }
        try {
            return Shape.of(d);
        } catch (IllegalArgumentException e) {
            throw error(field, e.getMessage());
        }
    }
}
