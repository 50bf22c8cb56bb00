package dev.panamacnn.exec;

import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.ParamSpec;
import dev.panamacnn.tensor.Shape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one memory plan of a model, computed once when it is built and consumed by every backend: each layer's name and
 * shapes, which layers are views (Flatten), which buffer holds each layer's output and output gradient (a view shares
 * its input's), what each layer keeps from forward to backward, and where each parameter tensor sits in the one
 * parameter segment (the gradient segment has the same layout). Sizes are per sample; a backend multiplies them by
 * its batch capacity. Nothing here is allocated.
 */
public final class Plan {
    private final List<Layer> layers;
    private final Shape input;
    private final long[] paramOffset;
    private final long paramCount, trainableCount;
    private final int[] outputOwner, gradientOwner;

    private Plan(List<Layer> layers, Shape input) {
        this.layers = List.copyOf(layers);
        this.input = input;
        int n = layers.size();
        paramOffset = new long[n];
        long off = 0, trainable = 0;
        for (int i = 0; i < n; i++) {
            paramOffset[i] = off;
            off += layers.get(i).paramCount();
            trainable += layers.get(i).trainableCount();
        }
        paramCount = off;
        trainableCount = trainable;
        outputOwner = new int[n];
        for (int i = 0; i < n; i++) outputOwner[i] = layers.get(i).isView() ? (i == 0 ? -1 : outputOwner[i - 1]) : i;
        gradientOwner = new int[n];
        gradientOwner[n - 1] = n - 1;
        for (int i = n - 1; i >= 1; i--) gradientOwner[i - 1] = layers.get(i).isView() ? gradientOwner[i] : i - 1;
    }

    /**
     * Names the layers as Keras does ({@code conv2d}, {@code conv2d_1}, ...), infers every shape from the first layer's
     * declared input shape, and lays out the parameters; allocates nothing.
     *
     * @throws IllegalStateException when there are no layers or the first has no input shape
     * @throws IllegalArgumentException when a layer refuses its input shape
     */
    public static Plan build(List<Layer> layers) {
        if (layers.isEmpty()) throw new IllegalStateException("the model has no layers");
        Shape in = layers.get(0).declaredInputShape();
        if (in == null) {
            throw new IllegalStateException("the first layer needs an input shape, e.g. new Conv2D(32, 5, 5, Activation.RELU, Shape.of(28, 28, 1))");
        }
        Shape s = in;
        Map<String, Integer> counts = new HashMap<>();
        for (Layer l : layers) {
            String base = snake(l.kerasClassName());
            int k = counts.merge(base, 1, Integer::sum) - 1;
            s = l.build(k == 0 ? base : base + "_" + k, s);
        }
        return new Plan(layers, in);
    }

    private static String snake(String cls) {
        return cls.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    public List<Layer> layers() { return layers; }
    public int size() { return layers.size(); }
    public Layer layer(int i) { return layers.get(i); }
    public Shape inputShape() { return input; }
    public Shape outputShape() { return layers.get(layers.size() - 1).outputShape(); }
    public int inputSize() { return input.size(); }
    public int outputSize() { return outputShape().size(); }

    /** Floats per sample of layer {@code i}'s output. */
    public long outputSize(int i) { return layers.get(i).outputShape().size(); }

    /** The layer whose own buffer holds layer {@code i}'s output ({@code i} unless it is a view; -1: the model's input). */
    public int outputOwner(int i) { return outputOwner[i]; }

    /** The layer whose own buffer holds the gradient w.r.t. layer {@code i}'s output ({@code i} unless the next layer is a view). */
    public int gradientOwner(int i) { return gradientOwner[i]; }

    /** Whether layer {@code i} has an output buffer of its own. */
    public boolean ownsOutput(int i) { return outputOwner[i] == i; }

    /** Whether layer {@code i} has an output-gradient buffer of its own. */
    public boolean ownsGradient(int i) { return gradientOwner[i] == i; }

    /** Whether layer {@code i}'s backward pass must produce its input gradient: some layer before it is not a view. */
    public boolean needsInputGradient(int i) {
        for (int j = 0; j < i; j++) if (!layers.get(j).isView()) return true;
        return false;
    }

    /** What layer {@code i} keeps from forward to backward. */
    public List<Layer.Kept> kept(int i) { return layers.get(i).kept(); }

    /** Offset, in floats, of layer {@code i}'s first parameter in the parameter segment. */
    public long paramOffset(int i) { return paramOffset[i]; }
    public long paramCount() { return paramCount; }
    public long trainableCount() { return trainableCount; }

    /** One parameter tensor and where it sits: {@code layer/param} at {@code offset} (floats). */
    public record Param(int layer, String name, ParamSpec spec, long offset) {}

    /** Every parameter tensor in segment order. */
    public List<Param> params() {
        List<Param> r = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            long off = paramOffset[i];
            for (ParamSpec p : layers.get(i).paramSpecs()) {
                r.add(new Param(i, layers.get(i).name() + "/" + p.name(), p, off));
                off += p.size();
            }
        }
        return Collections.unmodifiableList(r);
    }

    /**
     * The trainable parameters as {@code [start, end)} pairs in segment order (adjacent ones merged), or null when every
     * parameter is trainable.
     */
    public long[] trainableRanges() {
        if (trainableCount == paramCount) return null;
        List<Long> r = new ArrayList<>();
        for (Param p : params()) {
            if (!p.spec().trainable()) continue;
            long s = p.offset(), e = s + p.spec().size();
            if (!r.isEmpty() && r.get(r.size() - 1) == s) r.set(r.size() - 1, e);
            else { r.add(s); r.add(e); }
        }
        long[] a = new long[r.size()];
        for (int i = 0; i < a.length; i++) a[i] = r.get(i);
        return a;
    }

    /** {@code layer/param[index]} for a flat parameter index. */
    public String paramName(long flat) {
        for (Param p : params()) if (flat >= p.offset() && flat < p.offset() + p.spec().size()) return p.name() + "[" + (flat - p.offset()) + "]";
        return "parameter " + flat;
    }
}
