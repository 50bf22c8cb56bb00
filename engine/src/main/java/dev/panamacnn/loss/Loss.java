package dev.panamacnn.loss;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loss functions, named as in Keras' {@code compile(loss=...)}, each fused with the model's last activation so that
 * the backward pass starts from the gradient w.r.t. the pre-activation, {@code (p - y') / n}:
 * <ul>
 *   <li>{@code categorical_crossentropy} on one-hot (or probability) targets after a softmax,
 *       {@code -sum_j y'_j log(clip(p_j))} with {@code y' = y (1 - s) + s / K} for label smoothing {@code s};</li>
 *   <li>{@code sparse_categorical_crossentropy} on integer class labels ({@code (N, 1)}, no one-hot in memory) after a
 *       softmax, {@code -log(clip(p_label))};</li>
 *   <li>{@code binary_crossentropy} on 0/1 targets after a one-unit sigmoid,
 *       {@code -(y' log(clip(p)) + (1 - y') log(1 - clip(p)))} with {@code y' = y (1 - s) + s / 2}.</li>
 * </ul>
 * Probabilities are clipped to {@code [1e-7, 1 - 1e-7]} as Keras does (Keras' {@code losses.py}; its epsilon is 1e-7).
 */
public final class Loss {
    /** The loss family. */
    public enum Kind { CATEGORICAL, SPARSE_CATEGORICAL, BINARY }

    public static final Loss CATEGORICAL_CROSSENTROPY = new Loss(Kind.CATEGORICAL, 0f);
    public static final Loss SPARSE_CATEGORICAL_CROSSENTROPY = new Loss(Kind.SPARSE_CATEGORICAL, 0f);
    public static final Loss BINARY_CROSSENTROPY = new Loss(Kind.BINARY, 0f);

    private static final float EPS = 1e-7f;
    private static final Map<String, Kind> NAMES = new LinkedHashMap<>();

    static {
        NAMES.put("categorical_crossentropy", Kind.CATEGORICAL);
        NAMES.put("sparse_categorical_crossentropy", Kind.SPARSE_CATEGORICAL);
        NAMES.put("binary_crossentropy", Kind.BINARY);
    }

    private final Kind kind;
    private final float labelSmoothing;

    private Loss(Kind kind, float labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new IllegalArgumentException("label_smoothing must be in [0, 1], got " + labelSmoothing);
        if (kind == Kind.SPARSE_CATEGORICAL && labelSmoothing != 0) {
            throw new IllegalArgumentException("sparse_categorical_crossentropy has no label_smoothing in Keras; use categorical_crossentropy");
        }
        this.kind = kind;
        this.labelSmoothing = labelSmoothing;
    }

    /** Keras' {@code CategoricalCrossentropy(label_smoothing=s)}. */
    public static Loss categoricalCrossentropy(float labelSmoothing) {
        return labelSmoothing == 0f ? CATEGORICAL_CROSSENTROPY : new Loss(Kind.CATEGORICAL, labelSmoothing);
    }

    /** Keras' {@code BinaryCrossentropy(label_smoothing=s)}. */
    public static Loss binaryCrossentropy(float labelSmoothing) {
        return labelSmoothing == 0f ? BINARY_CROSSENTROPY : new Loss(Kind.BINARY, labelSmoothing);
    }

    /**
     * The loss Keras calls {@code name}, with {@code labelSmoothing}.
     *
     * @throws IllegalArgumentException for another name, naming the supported ones
     */
    public static Loss byName(String name, float labelSmoothing) {
        Kind k = NAMES.get(name);
        if (k == null) throw new IllegalArgumentException("loss '" + name + "' is not supported (expected " + String.join(", ", NAMES.keySet()) + ")");
        return switch (k) {
            case CATEGORICAL -> categoricalCrossentropy(labelSmoothing);
            case BINARY -> binaryCrossentropy(labelSmoothing);
            case SPARSE_CATEGORICAL -> {
                if (labelSmoothing != 0) throw new IllegalArgumentException("sparse_categorical_crossentropy has no label_smoothing in Keras; use categorical_crossentropy");
                yield SPARSE_CATEGORICAL_CROSSENTROPY;
            }
        };
    }

    public Kind kind() { return kind; }
    public float labelSmoothing() { return labelSmoothing; }

    public String kerasName() {
        return switch (kind) {
            case CATEGORICAL -> "categorical_crossentropy";
            case SPARSE_CATEGORICAL -> "sparse_categorical_crossentropy";
            case BINARY -> "binary_crossentropy";
        };
    }

    /** Floats per sample of the targets: 1 for class labels, else the model's outputs. */
    public int targetWidth(int outputs) { return kind == Kind.SPARSE_CATEGORICAL ? 1 : outputs; }

    /** The activation the model must end in: softmax, or (binary) sigmoid. */
    public String needsActivation() { return kind == Kind.BINARY ? "sigmoid" : "softmax"; }

    private static float clip(float p) { return Math.min(Math.max(p, EPS), 1f - EPS); }

    /** Loss of one sample: probabilities {@code p} ({@code classes} of them) against its target at {@code y[yOff]}. */
    public double rowLoss(MemorySegment p, long pOff, MemorySegment y, long yOff, int classes) {
        return switch (kind) {
            case CATEGORICAL -> {
                double loss = 0, s = labelSmoothing;
                for (int j = 0; j < classes; j++) {
                    float t = y.getAtIndex(F, yOff + j);
                    double ts = s == 0 ? t : t * (1 - s) + s / classes;
                    if (ts != 0) loss -= ts * Math.log(clip(p.getAtIndex(F, pOff + j)));
                }
                yield loss;
            }
            case SPARSE_CATEGORICAL -> -Math.log(clip(p.getAtIndex(F, pOff + label(y, yOff, classes))));
            case BINARY -> {
                double t = y.getAtIndex(F, yOff), s = labelSmoothing;
                t = t * (1 - s) + s / 2;
                float q = clip(p.getAtIndex(F, pOff));
                yield -(t * Math.log(q) + (1 - t) * Math.log(1 - q));
            }
        };
    }

    /** The class label of a sparse target, checked against {@code classes}. */
    static int label(MemorySegment y, long yOff, int classes) {
        float v = y.getAtIndex(F, yOff);
        int l = (int) v;
        if (l != v || l < 0 || l >= classes) {
            throw new IllegalArgumentException("sparse_categorical_crossentropy: a label is " + v + ", expected an integer in [0, " + classes + ")");
        }
        return l;
    }

    /** Whether sample's prediction is right: the arg-max is the target's (or the label), or for binary, {@code p > 0.5} is {@code y > 0.5}. */
    public boolean correct(MemorySegment p, long pOff, MemorySegment y, long yOff, int classes) {
        return switch (kind) {
            case CATEGORICAL -> argmax(p, pOff, classes) == argmax(y, yOff, classes);
            case SPARSE_CATEGORICAL -> argmax(p, pOff, classes) == label(y, yOff, classes);
            case BINARY -> (p.getAtIndex(F, pOff) > 0.5f) == (y.getAtIndex(F, yOff) > 0.5f);
        };
    }

    /** Whether the target is among the {@code k} largest probabilities (Keras' top-k accuracy; ties favour the target). */
    public boolean inTopK(MemorySegment p, long pOff, MemorySegment y, long yOff, int classes, int k) {
        int target = kind == Kind.SPARSE_CATEGORICAL ? label(y, yOff, classes) : argmax(y, yOff, classes);
        float pt = p.getAtIndex(F, pOff + target);
        int above = 0;
        for (int j = 0; j < classes; j++) if (p.getAtIndex(F, pOff + j) > pt) above++;
        return above < k;
    }

    /**
     * The gradient of the batch-mean loss w.r.t. the last layer's pre-activation (the softmax's or the sigmoid's input),
     * for samples {@code [0, n)}: {@code dz = (p - y') / batchForMean}.
     */
    public void gradient(MemorySegment p, MemorySegment y, MemorySegment dz, int n, int classes, int batchForMean) {
        float inv = 1f / batchForMean;
        switch (kind) {
            case CATEGORICAL -> {
                long total = (long) n * classes;
                if (labelSmoothing == 0f) {
                    for (long i = 0; i < total; i++) dz.setAtIndex(F, i, (p.getAtIndex(F, i) - y.getAtIndex(F, i)) * inv);
                } else {
                    float keep = 1f - labelSmoothing, add = labelSmoothing / classes;
                    for (long i = 0; i < total; i++) dz.setAtIndex(F, i, (p.getAtIndex(F, i) - (y.getAtIndex(F, i) * keep + add)) * inv);
                }
            }
            case SPARSE_CATEGORICAL -> {
                for (int r = 0; r < n; r++) {
                    int l = label(y, r, classes);
                    for (int j = 0; j < classes; j++) {
                        long i = (long) r * classes + j;
                        dz.setAtIndex(F, i, (p.getAtIndex(F, i) - (j == l ? 1f : 0f)) * inv);
                    }
                }
            }
            case BINARY -> {
                float keep = 1f - labelSmoothing, add = labelSmoothing / 2;
                for (int r = 0; r < n; r++) dz.setAtIndex(F, r, (p.getAtIndex(F, r) - (y.getAtIndex(F, r) * keep + add)) * inv);
            }
        }
    }

    private static final java.lang.foreign.ValueLayout.OfFloat F = java.lang.foreign.ValueLayout.JAVA_FLOAT;

    private static int argmax(MemorySegment m, long off, int n) {
        int best = 0;
        float bv = m.getAtIndex(F, off);
        for (int j = 1; j < n; j++) {
            float v = m.getAtIndex(F, off + j);
            if (v > bv) { bv = v; best = j; }
        }
        return best;
    }

    /** Keras' config: the name, or {@code {"class_name": ..., "config": {"label_smoothing": s}}} with smoothing. */
    public Object toConfig() {
        if (labelSmoothing == 0f) return kerasName();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("class_name", kind == Kind.BINARY ? "BinaryCrossentropy" : "CategoricalCrossentropy");
        m.put("config", Map.of("label_smoothing", labelSmoothing));
        return m;
    }

    @Override public boolean equals(Object o) { return o instanceof Loss l && l.kind == kind && l.labelSmoothing == labelSmoothing; }
    @Override public int hashCode() { return kind.hashCode() * 31 + Float.hashCode(labelSmoothing); }
    @Override public String toString() { return labelSmoothing == 0 ? kerasName() : kerasName() + "(label_smoothing=" + labelSmoothing + ")"; }
}
