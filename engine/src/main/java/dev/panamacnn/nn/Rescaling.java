package dev.panamacnn.nn;

/**
 * Keras' {@code Rescaling(scale, offset=0.0)}: {@code y = x * scale + offset}, e.g. {@code Rescaling(1/255)} after
 * {@code image_dataset_from_directory}, whose pixels are 0 to 255.
 */
public final class Rescaling extends ElementwiseLayer {
    private final float scale, offset;

    /** Keras' config of a Rescaling layer. */
    public record Config(String name, float scale, float offset) {}

    public Rescaling(float scale) { this(scale, 0f); }

    public Rescaling(float scale, float offset) {
        if (!Float.isFinite(scale) || !Float.isFinite(offset)) throw new IllegalArgumentException("Rescaling: scale and offset must be finite");
        this.scale = scale;
        this.offset = offset;
    }

    static Rescaling fromConfig(ConfigReader c) {
        if (!c.node("scale").isNumber()) throw c.error("scale", "expected a number (per-channel scales are not supported), got " + c.node("scale"));
        if (c.has("offset") && !c.node("offset").isNull() && !c.node("offset").isNumber()) throw c.error("offset", "expected a number, got " + c.node("offset"));
        return new Rescaling((float) c.number("scale", 1), (float) c.number("offset", 0));
    }

    public float scale() { return scale; }
    public float offset() { return offset; }
    @Override public String kerasClassName() { return "Rescaling"; }
    @Override public Config config() { return new Config(name(), scale, offset); }
    @Override protected float f(float x) { return x * scale + offset; }
    @Override protected float df(float x) { return scale; }
    @Override protected jdk.incubator.vector.FloatVector vf(jdk.incubator.vector.FloatVector x) { return x.mul(scale).add(offset); }
    @Override protected jdk.incubator.vector.FloatVector vdf(jdk.incubator.vector.FloatVector x, jdk.incubator.vector.FloatVector dy) { return dy.mul(scale); }
}
