package dev.panamacnn.nn;

/** Keras' {@code GlobalMaxPooling2D(keepdims=False)}: the max of each channel over the image; its gradient goes to the first maximum. */
public final class GlobalMaxPooling2D extends GlobalPooling2D {
    public GlobalMaxPooling2D() { this(false); }
    public GlobalMaxPooling2D(boolean keepDims) { super(keepDims); }
    static GlobalMaxPooling2D fromConfig(ConfigReader c) { return new GlobalMaxPooling2D(readKeepDims(c)); }
    @Override boolean max() { return true; }
    @Override public String kerasClassName() { return "GlobalMaxPooling2D"; }
}
