package dev.panamacnn.nn;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.panamacnn.tensor.Shape;

import java.util.List;

/**
 * Keras' {@code InputLayer} (what {@code keras.Input(shape=...)} adds): declares the model's input shape and passes its
 * input through. A view: no op runs on any backend.
 */
public final class InputLayer extends Layer {
    private final Shape shape;

    /** Keras' config of an InputLayer. */
    public record Config(String name, @JsonProperty("batch_input_shape") List<Integer> batchInputShape) {}

    public InputLayer(Shape shape) {
        if (shape == null) throw new IllegalArgumentException("InputLayer: the shape is required");
        this.shape = shape;
    }

    static InputLayer fromConfig(ConfigReader c) {
        Shape s = c.batchInputShape();
        if (s == null) throw c.error("batch_input_shape", "is required (Keras 3 writes batch_shape, tf.keras 2 batch_input_shape)");
        if (c.bool("sparse", false)) throw c.error("sparse", "sparse inputs are not supported");
        if (c.bool("ragged", false)) throw c.error("ragged", "ragged inputs are not supported");
        if (c.bool("optional", false)) throw c.error("optional", "optional inputs are not supported");
        return new InputLayer(s);
    }

    @Override public String kerasClassName() { return "InputLayer"; }
    @Override public Shape declaredInputShape() { return shape; }
    @Override protected Shape computeOutputShape(Shape in) { return in; }
    @Override public boolean isView() { return true; }
    @Override public Config config() { return new Config(name(), batchShape(shape)); }
    @Override public CpuOp cpu(CpuBinding b) { return null; }
}
