package dev.panamacnn.nn;

/** Keras' {@code GlobalAveragePooling2D(keepdims=False)}: the mean of each channel over the image. */
public final class GlobalAveragePooling2D extends GlobalPooling2D {
    public GlobalAveragePooling2D() { this(false); }
    public GlobalAveragePooling2D(boolean keepDims) { super(keepDims); }
    static GlobalAveragePooling2D fromConfig(ConfigReader c) { return new GlobalAveragePooling2D(readKeepDims(c)); }
    @Override boolean max() { return false; }
    @Override public String kerasClassName() { return "GlobalAveragePooling2D"; }
}
