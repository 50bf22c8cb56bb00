package dev.panamacnn.nn;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.panamacnn.ops.PoolOps;
import dev.panamacnn.ops.Vec;
import dev.panamacnn.tensor.Shape;

import java.util.List;

/**
 * Average pooling, like Keras' {@code AveragePooling2D(pool_size=(ph, pw), strides=None, padding="valid"|"same")}: each
 * output is the mean of its window; with same padding the padded elements are not counted (TensorFlow's rule).
 */
public final class AveragePooling2D extends Layer {
    private final int ph, pw, sh, sw;
    private final Padding padding;
    private int h, w, c, oh, ow, padTop, padLeft;

    /** Keras' config of an AveragePooling2D layer. */
    public record Config(String name, @JsonProperty("pool_size") List<Integer> poolSize, List<Integer> strides, String padding) {}

    /** Pool size {@code (ph, pw)}, strides equal to it, valid padding (Keras' defaults). */
    public AveragePooling2D(int ph, int pw) { this(ph, pw, ph, pw, Padding.VALID); }

    public AveragePooling2D(int ph, int pw, int sh, int sw, Padding padding) {
        if (ph < 1 || pw < 1 || sh < 1 || sw < 1) throw new IllegalArgumentException("AveragePooling2D: sizes and strides must be >= 1");
        this.ph = ph; this.pw = pw; this.sh = sh; this.sw = sw;
        this.padding = padding == null ? Padding.VALID : padding;
    }

    static AveragePooling2D fromConfig(ConfigReader c) {
        int[] p = c.ints("pool_size", 2);
        int[] s = c.ints("strides", 2, p);
        c.expect("data_format", "channels_last");
        return new AveragePooling2D(p[0], p[1], s[0], s[1], c.padding());
    }

    @Override public String kerasClassName() { return "AveragePooling2D"; }
    public int poolHeight() { return ph; }
    public int poolWidth() { return pw; }
    public int strideY() { return sh; }
    public int strideX() { return sw; }
    public Padding padding() { return padding; }
    public int padTop() { return padTop; }
    public int padLeft() { return padLeft; }

    @Override protected Shape computeOutputShape(Shape in) {
        if (in.rank() != 3) throw new IllegalArgumentException("AveragePooling2D expects (height, width, channels) input, got " + in);
        h = in.dim(0); w = in.dim(1); c = in.dim(2);
        if (padding == Padding.VALID && (h < ph || w < pw)) {
            throw new IllegalArgumentException("AveragePooling2D window " + ph + "x" + pw + " larger than input " + in + " (use padding=\"same\")");
        }
        oh = padding.outputSize(h, ph, sh); ow = padding.outputSize(w, pw, sw);
        padTop = padding.before(h, ph, sh); padLeft = padding.before(w, pw, sw);
        return Shape.of(oh, ow, c);
    }

    @Override public Config config() { return new Config(name(), List.of(ph, pw), List.of(sh, sw), padding.kerasName()); }
    @Override public CpuOp cpu(CpuBinding b) { return new Cpu(b); }

    /** Groupwise: each sample group pooled on its own. */
    private final class Cpu extends CpuOp {
        Cpu(CpuBinding b) { super(AveragePooling2D.this.name(), b); }

        @Override public boolean groupwise() { return true; }

        @Override public void forwardGroup(Step s) {
            long inSize = (long) h * w * c, outSize = (long) oh * ow * c;
            int s0 = s.start(), s1 = s.end();
            PoolOps.avgPoolForward(b.in(), s0 * inSize, s1 - s0, h, w, c, ph, pw, sh, sw, padTop, padLeft, oh, ow, b.out(), s0 * outSize);
        }

        @Override public void backward(Step s) {
            if (b.dIn() != null) super.backward(s);
        }

        @Override public void backwardGroup(Step s) {
            if (b.dIn() == null) return;   // the first layer with work: no input gradient (the group schedule calls this directly)
            long inSize = (long) h * w * c, outSize = (long) oh * ow * c;
            int s0 = s.start(), s1 = s.end();
            Vec.zero(b.dIn(), s0 * inSize, (s1 - s0) * inSize);
            PoolOps.avgPoolBackward(b.dOut(), s0 * outSize, s1 - s0, h, w, c, ph, pw, sh, sw, padTop, padLeft, oh, ow, b.dIn(), s0 * inSize);
        }
    }
}
