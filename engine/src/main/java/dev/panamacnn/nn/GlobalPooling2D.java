package dev.panamacnn.nn;

import dev.panamacnn.ops.PoolOps;
import dev.panamacnn.ops.Vec;
import dev.panamacnn.tensor.Shape;

import java.util.List;

/**
 * Keras' {@code GlobalAveragePooling2D} and {@code GlobalMaxPooling2D}: each channel reduced over the whole image, to
 * {@code (channels,)} or, with {@code keepdims=True}, {@code (1, 1, channels)} (the same memory either way).
 */
public abstract class GlobalPooling2D extends Layer {
    private final boolean keepDims;
    private int pixels, c;

    /** Keras' config of a global pooling layer. */
    public record Config(String name, boolean keepdims) {}

    GlobalPooling2D(boolean keepDims) { this.keepDims = keepDims; }

    abstract boolean max();

    public boolean keepDims() { return keepDims; }

    static boolean readKeepDims(ConfigReader c) {
        c.expect("data_format", "channels_last");
        return c.bool("keepdims", false);
    }

    @Override protected Shape computeOutputShape(Shape in) {
        if (in.rank() != 3) throw new IllegalArgumentException(kerasClassName() + " expects (height, width, channels) input, got " + in);
        pixels = in.dim(0) * in.dim(1);
        c = in.dim(2);
        return keepDims ? Shape.of(1, 1, c) : Shape.of(c);
    }

    @Override public List<Kept> kept() { return max() ? List.of(new Kept("argmax", c, 4)) : List.of(); }
    @Override public Config config() { return new Config(name(), keepDims); }
    @Override public CpuOp cpu(CpuBinding b) { return new Cpu(b); }

    /** Groupwise over samples. */
    private final class Cpu extends CpuOp {
        private java.lang.foreign.MemorySegment argmax;

        Cpu(CpuBinding b) { super(GlobalPooling2D.this.name(), b); }

        @Override public void allocate() {
            if (max()) argmax = b.arena().allocate((long) b.capacity() * c * 4, 64);
        }

        @Override public boolean groupwise() { return true; }

        @Override public void forwardGroup(Step s) {
            int s0 = s.start(), s1 = s.end();
            PoolOps.globalPoolForward(b.in(), (long) s0 * pixels * c, s1 - s0, pixels, c, max(), b.out(), (long) s0 * c, argmax, (long) s0 * c);
        }

        @Override public void backward(Step s) {
            if (b.dIn() != null) super.backward(s);
        }

        @Override public void backwardGroup(Step s) {
            if (b.dIn() == null) return;   // the first layer with work: no input gradient (the group schedule calls this directly)
            int s0 = s.start(), s1 = s.end();
            long inSize = (long) pixels * c;
            if (max()) {
                Vec.zero(b.dIn(), s0 * inSize, (s1 - s0) * inSize);
                PoolOps.maxPoolBackward(b.dOut(), (long) s0 * c, argmax, (long) s0 * c, s1 - s0, inSize, c, b.dIn(), s0 * inSize);
            } else {
                PoolOps.globalAvgPoolBackward(b.dOut(), (long) s0 * c, s1 - s0, pixels, c, b.dIn(), s0 * inSize);
            }
        }
    }
}
