package dev.panamacnn.nn;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Keras' {@code LeakyReLU(negative_slope=0.3)} ({@code alpha} in tf.keras 2): {@code x >= 0 ? x : negative_slope * x}.
 */
public final class LeakyReLU extends ElementwiseLayer {
    private final float negativeSlope;

    /** Keras' config of a LeakyReLU layer. */
    public record Config(String name, @JsonProperty("negative_slope") float negativeSlope) {}

    public LeakyReLU() { this(0.3f); }

    public LeakyReLU(float negativeSlope) {
        if (!(negativeSlope >= 0)) throw new IllegalArgumentException("LeakyReLU: negative_slope must be >= 0, got " + negativeSlope);
        this.negativeSlope = negativeSlope;
    }

    static LeakyReLU fromConfig(ConfigReader c) {
        double slope = c.has("alpha") && !c.node("alpha").isNull() ? c.number("alpha", 0.3) : c.number("negative_slope", 0.3);
        return new LeakyReLU((float) slope);
    }

    public float negativeSlope() { return negativeSlope; }
    @Override public String kerasClassName() { return "LeakyReLU"; }
    @Override public Config config() { return new Config(name(), negativeSlope); }
    @Override protected float f(float x) { return x >= 0 ? x : negativeSlope * x; }
    @Override protected float df(float x) { return x >= 0 ? 1f : negativeSlope; }
    @Override protected jdk.incubator.vector.FloatVector vf(jdk.incubator.vector.FloatVector x) {
        return x.blend(x.mul(negativeSlope), x.compare(jdk.incubator.vector.VectorOperators.LT, 0f));
    }
    @Override protected jdk.incubator.vector.FloatVector vdf(jdk.incubator.vector.FloatVector x, jdk.incubator.vector.FloatVector dy) {
        return dy.blend(dy.mul(negativeSlope), x.compare(jdk.incubator.vector.VectorOperators.LT, 0f));
    }
}
