package dev.panamacnn.nn;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.panamacnn.tensor.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * Keras' {@code Reshape(target_shape)}: each sample reinterpreted in the new shape (one dimension may be -1, inferred).
 * On row-major NHWC data this moves no memory: a view, like Flatten.
 */
public final class Reshape extends Layer {
    private final int[] target;

    /** Keras' config of a Reshape layer. */
    public record Config(String name, @JsonProperty("target_shape") List<Integer> targetShape) {}

    public Reshape(int... targetShape) {
        int unknown = 0;
        for (int d : targetShape) {
            if (d == -1) unknown++;
            else if (d < 1) throw new IllegalArgumentException("Reshape: dimensions must be >= 1 or -1, got " + d);
        }
        if (targetShape.length == 0 || unknown > 1) throw new IllegalArgumentException("Reshape: need a target shape with at most one -1");
        this.target = targetShape.clone();
    }

    static Reshape fromConfig(ConfigReader c) {
        var n = c.node("target_shape");
        if (!n.isArray() || n.isEmpty()) throw c.error("target_shape", "expected a list of dimensions, got " + n);
        int[] t = new int[n.size()];
        for (int i = 0; i < t.length; i++) {
            if (!n.get(i).canConvertToInt()) throw c.error("target_shape", "expected integers, got " + n);
            t[i] = n.get(i).asInt();
        }
        return new Reshape(t);
    }

    @Override public String kerasClassName() { return "Reshape"; }
    @Override public boolean isView() { return true; }
    @Override public CpuOp cpu(CpuBinding b) { return null; }

    @Override protected Shape computeOutputShape(Shape in) {
        int known = 1, at = -1;
        int[] d = target.clone();
        for (int i = 0; i < d.length; i++) {
            if (d[i] == -1) at = i;
            else known *= d[i];
        }
        if (at >= 0) {
            if (in.size() % known != 0) throw new IllegalArgumentException("Reshape: cannot reshape " + in + " to " + java.util.Arrays.toString(target));
            d[at] = in.size() / known;
        }
        Shape out = Shape.of(d);
        if (out.size() != in.size()) {
            throw new IllegalArgumentException("Reshape: " + in + " has " + in.size() + " elements, target " + out + " has " + out.size());
        }
        return out;
    }

    @Override public Config config() {
        List<Integer> t = new ArrayList<>();
        for (int d : target) t.add(d);
        return new Config(name(), t);
    }
}
