package dev.panamacnn.nn;

import dev.panamacnn.ops.PoolOps;
import dev.panamacnn.ops.Vec;
import dev.panamacnn.tensor.Shape;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static dev.panamacnn.nn.Step.groupStart;

/** Max pooling, like Keras' {@code MaxPooling2D(pool_size=(ph, pw), strides=(sh, sw), padding="valid"|"same")}. */
public final class MaxPool2D extends Layer {
    private final int ph, pw, sh, sw;
    private Padding padding = Padding.VALID;
    private int h, w, c, oh, ow, padTop, padLeft;
    /** Windows tile the input exactly (stride = pool, pool divides the size): the fast backward applies. */
    private boolean tiled;

    /** Keras' config of a MaxPooling2D layer. */
    public record Config(String name, @com.fasterxml.jackson.annotation.JsonProperty("pool_size") List<Integer> poolSize,
                         List<Integer> strides, String padding) {}

    /** Pool size {@code (ph, pw)}, strides equal to the pool size (Keras' default). */
    public MaxPool2D(int ph, int pw) { this(ph, pw, ph, pw); }

    public MaxPool2D(int ph, int pw, int sh, int sw) {
        if (ph < 1 || pw < 1 || sh < 1 || sw < 1) throw new IllegalArgumentException("MaxPool2D: sizes and strides must be >= 1");
        this.ph = ph; this.pw = pw; this.sh = sh; this.sw = sw;
    }

    /** Keras' {@code padding=} (default valid); call before the model is built. Returns this layer. */
    public MaxPool2D padding(Padding p) {
        if (name() != null) throw new IllegalStateException("MaxPool2D: change its settings before the model is built");
        padding = p == null ? Padding.VALID : p;
        return this;
    }

    public Padding padding() { return padding; }

    static MaxPool2D fromConfig(ConfigReader c) {
        int[] p = c.ints("pool_size", 2);
        int[] s = c.ints("strides", 2, p);
        c.expect("data_format", "channels_last");
        MaxPool2D l = new MaxPool2D(p[0], p[1], s[0], s[1]);
        l.padding = c.padding();
        return l;
    }

    @Override public String kerasClassName() { return "MaxPooling2D"; }
    public int poolHeight() { return ph; }
    public int poolWidth() { return pw; }
    public int strideY() { return sh; }
    public int strideX() { return sw; }

    @Override protected Shape computeOutputShape(Shape in) {
        if (in.rank() != 3) throw new IllegalArgumentException("MaxPool2D expects (height, width, channels) input, got " + in);
        h = in.dim(0); w = in.dim(1); c = in.dim(2);
        if (padding == Padding.VALID && (h < ph || w < pw)) {
            throw new IllegalArgumentException("MaxPool2D window " + ph + "x" + pw + " larger than input " + in + " (use padding=\"same\")");
        }
        oh = padding.outputSize(h, ph, sh); ow = padding.outputSize(w, pw, sw);
        padTop = padding.before(h, ph, sh); padLeft = padding.before(w, pw, sw);
        boolean clipped = padding.total(h, ph, sh) > 0 || padding.total(w, pw, sw) > 0;
        tiled = !clipped && sh == ph && sw == pw && h % ph == 0 && w % pw == 0;
        return Shape.of(oh, ow, c);
    }

    @Override public Config config() { return new Config(name(), List.of(ph, pw), List.of(sh, sw), padding.kerasName()); }

    /** Per output element, the flat index (within its sample) of the input that won. */
    @Override public List<Kept> kept() { return List.of(new Kept("argmax", (long) oh * ow * c, 4)); }

    @Override public CpuOp cpu(CpuBinding b) { return new Cpu(b); }

    /** The CPU pair, groupwise: each sample group pooled on its own, the arg-max kept for the backward pass. */
    private final class Cpu extends CpuOp {
        private MemorySegment argmax;

        Cpu(CpuBinding b) { super(MaxPool2D.this.name(), b); }

        @Override public void allocate() {
            argmax = b.arena().allocate(b.capacity() * kept().get(0).perSample() * 4, 64);
        }

        @Override public boolean groupwise() { return true; }

        @Override public void forwardGroup(Step s) {
            long inSize = (long) h * w * c, outSize = (long) oh * ow * c;
            int s0 = s.start(), s1 = s.end();
            if (padding == Padding.VALID) {
                PoolOps.maxPoolForward(b.in(), s0 * inSize, s1 - s0, h, w, c, ph, pw, sh, sw, oh, ow, b.out(), s0 * outSize, argmax, s0 * outSize);
            } else {
                PoolOps.maxPoolForwardPadded(b.in(), s0 * inSize, s1 - s0, h, w, c, ph, pw, sh, sw, padTop, padLeft, oh, ow,
                        b.out(), s0 * outSize, argmax, s0 * outSize);
            }
        }

        @Override public void backward(Step s) {
            if (b.dIn() == null) return;
            super.backward(s);
        }

        @Override public void backwardGroup(Step s) {
            MemorySegment dIn = b.dIn(), dOut = b.dOut();
            if (dIn == null) return;
            long inSize = (long) h * w * c, outSize = (long) oh * ow * c;
            int s0 = groupStart(s.group(), s.groups(), s.n()), s1 = groupStart(s.group() + 1, s.groups(), s.n());
            if (tiled) {
                PoolOps.maxPoolBackwardTiled(dOut, s0 * outSize, argmax, s0 * outSize, s1 - s0, h, w, c, ph, pw, dIn, s0 * inSize);
            } else {
                Vec.zero(dIn, s0 * inSize, (s1 - s0) * inSize);
                PoolOps.maxPoolBackward(dOut, s0 * outSize, argmax, s0 * outSize, s1 - s0, inSize, outSize, dIn, s0 * inSize);
            }
        }
    }
}
