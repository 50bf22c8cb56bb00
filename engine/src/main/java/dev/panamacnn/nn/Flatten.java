package dev.panamacnn.nn;

import dev.panamacnn.tensor.Shape;

/** Flattens each sample to a vector. On NHWC row-major data this moves no memory: a view, with no op on any backend. */
public final class Flatten extends Layer {
    /** Keras' config of a Flatten layer. */
    public record Config(String name) {}

    static Flatten fromConfig(ConfigReader c) {
        c.expect("data_format", "channels_last");   // channels_first would reorder the features
        return new Flatten();
    }

    @Override public String kerasClassName() { return "Flatten"; }
    @Override protected Shape computeOutputShape(Shape in) { return Shape.of(in.size()); }
    @Override public boolean isView() { return true; }
    @Override public Config config() { return new Config(name()); }
    @Override public CpuOp cpu(CpuBinding b) { return null; }
}
