package dev.panamacnn.nn;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Keras' {@code ReLU(max_value=None, negative_slope=0.0, threshold=0.0)}:
 * {@code f(x) = max_value if x >= max_value; x if threshold <= x < max_value; negative_slope * (x - threshold) otherwise}
 * (the formula of {@code keras.layers.ReLU}'s documentation).
 */
public final class ReLU extends ElementwiseLayer {
    private final Float maxValue;
    private final float negativeSlope, threshold;

    /** Keras' config of a ReLU layer. */
    public record Config(String name, @JsonProperty("max_value") Float maxValue, @JsonProperty("negative_slope") float negativeSlope, float threshold) {}

    public ReLU() { this(null, 0f, 0f); }

    public ReLU(Float maxValue, float negativeSlope, float threshold) {
        if (maxValue != null && !(maxValue >= 0)) throw new IllegalArgumentException("ReLU: max_value must be >= 0, got " + maxValue);
        if (!(negativeSlope >= 0)) throw new IllegalArgumentException("ReLU: negative_slope must be >= 0, got " + negativeSlope);
        this.maxValue = maxValue;
        this.negativeSlope = negativeSlope;
        this.threshold = threshold;
    }

    static ReLU fromConfig(ConfigReader c) {
        double mv = c.number("max_value", Double.NaN);
        return new ReLU(Double.isNaN(mv) ? null : (float) mv, (float) c.number("negative_slope", 0), (float) c.number("threshold", 0));
    }

    public Float maxValue() { return maxValue; }
    public float negativeSlope() { return negativeSlope; }
    public float threshold() { return threshold; }
    @Override public String kerasClassName() { return "ReLU"; }
    @Override public Config config() { return new Config(name(), maxValue, negativeSlope, threshold); }

    @Override protected float f(float x) {
        if (maxValue != null && x >= maxValue) return maxValue;
        return x >= threshold ? x : negativeSlope * (x - threshold);
    }

    @Override protected float df(float x) {
        if (maxValue != null && x >= maxValue) return 0f;
        return x >= threshold ? 1f : negativeSlope;
    }

    @Override protected jdk.incubator.vector.FloatVector vf(jdk.incubator.vector.FloatVector x) {
        var below = x.compare(jdk.incubator.vector.VectorOperators.LT, threshold);
        var r = x.blend(x.sub(threshold).mul(negativeSlope), below);
        return maxValue == null ? r : r.blend(jdk.incubator.vector.FloatVector.broadcast(x.species(), maxValue), x.compare(jdk.incubator.vector.VectorOperators.GE, maxValue));
    }

    @Override protected jdk.incubator.vector.FloatVector vdf(jdk.incubator.vector.FloatVector x, jdk.incubator.vector.FloatVector dy) {
        var r = dy.blend(dy.mul(negativeSlope), x.compare(jdk.incubator.vector.VectorOperators.LT, threshold));
        return maxValue == null ? r : r.blend(jdk.incubator.vector.FloatVector.zero(x.species()), x.compare(jdk.incubator.vector.VectorOperators.GE, maxValue));
    }
}
