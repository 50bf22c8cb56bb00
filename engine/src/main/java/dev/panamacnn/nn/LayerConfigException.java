package dev.panamacnn.nn;

/** A layer's config that cannot be used; the message names the field ({@code config.layers[2].units: ...}). */
public final class LayerConfigException extends IllegalArgumentException {
    public LayerConfigException(String message) { super(message); }
}
