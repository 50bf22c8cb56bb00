package dev.panamacnn.nn;

import dev.panamacnn.backend.Exec;
import dev.panamacnn.ops.PoolOps;
import dev.panamacnn.ops.Vec;
import dev.panamacnn.tensor.Shape;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/** Max pooling, like Keras' {@code MaxPooling2D(pool_size=(ph, pw), strides=(sh, sw))} with "valid" padding. */
public final class MaxPool2D extends Layer {
    private final int ph, pw, sh, sw;
    private int h, w, c, oh, ow;
    /** Windows tile the input exactly (stride = pool, pool divides the size): the fast backward applies. */
    private boolean tiled;
    private MemorySegment argmax;

    /** Pool size {@code (ph, pw)}, strides equal to the pool size (Keras' default). */
    public MaxPool2D(int ph, int pw) { this(ph, pw, ph, pw); }

    public MaxPool2D(int ph, int pw, int sh, int sw) {
        if (ph < 1 || pw < 1 || sh < 1 || sw < 1) throw new IllegalArgumentException("MaxPool2D: sizes and strides must be >= 1");
        this.ph = ph; this.pw = pw; this.sh = sh; this.sw = sw;
    }

    @Override public String kerasClassName() { return "MaxPooling2D"; }
    public int poolHeight() { return ph; }
    public int poolWidth() { return pw; }
    public int strideY() { return sh; }
    public int strideX() { return sw; }

    @Override protected Shape computeOutputShape(Shape in) {
        if (in.rank() != 3) throw new IllegalArgumentException("MaxPool2D expects (height, width, channels) input, got " + in);
        h = in.dim(0); w = in.dim(1); c = in.dim(2);
        if (h < ph || w < pw) throw new IllegalArgumentException("MaxPool2D window " + ph + "x" + pw + " larger than input " + in);
        oh = (h - ph) / sh + 1; ow = (w - pw) / sw + 1;
        tiled = sh == ph && sw == pw && h % ph == 0 && w % pw == 0;
        return Shape.of(oh, ow, c);
    }

    @Override public Map<String, Object> config() {
        Map<String, Object> m = super.config();
        m.put("pool_size", List.of(ph, pw));
        m.put("strides", List.of(sh, sw));
        m.put("padding", "valid");
        return m;
    }

    @Override void allocate(Arena arena, int batch, int workers) {
        argmax = arena.allocate((long) batch * oh * ow * c * 4, 64);
    }

    @Override void forward(Exec ex, MemorySegment in, MemorySegment out, int n) {
        int groups = Layer.groups(n);
        ex.pool().forEach(groups, (g, wk) -> forwardGroup(ex, g, groups, wk, in, out, n));
    }

    @Override boolean groupwise() { return true; }

    @Override void forwardGroup(Exec ex, int g, int groups, int wk, MemorySegment in, MemorySegment out, int n) {
        long inSize = (long) h * w * c, outSize = (long) oh * ow * c;
        int s0 = groupStart(g, groups, n), s1 = groupStart(g + 1, groups, n);
        PoolOps.maxPoolForward(in, s0 * inSize, s1 - s0, h, w, c, ph, pw, sh, sw, oh, ow, out, s0 * outSize, argmax, s0 * outSize);
    }

    @Override void backward(Exec ex, MemorySegment in, MemorySegment out, MemorySegment dOut, MemorySegment dIn,
                            int n, boolean preActivation) {
        if (dIn == null) return;
        int groups = Layer.groups(n);
        ex.pool().forEach(groups, (g, wk) -> backwardGroup(ex, g, groups, wk, in, out, dOut, dIn, n, preActivation));
    }

    @Override void backwardGroup(Exec ex, int g, int groups, int wk, MemorySegment in, MemorySegment out, MemorySegment dOut,
                                 MemorySegment dIn, int n, boolean preActivation) {
        if (dIn == null) return;
        long inSize = (long) h * w * c, outSize = (long) oh * ow * c;
        int s0 = groupStart(g, groups, n), s1 = groupStart(g + 1, groups, n);
        if (tiled) {
            PoolOps.maxPoolBackwardTiled(dOut, s0 * outSize, argmax, s0 * outSize, s1 - s0, h, w, c, ph, pw, dIn, s0 * inSize);
        } else {
            Vec.zero(dIn, s0 * inSize, (s1 - s0) * inSize);
            PoolOps.maxPoolBackward(dOut, s0 * outSize, argmax, s0 * outSize, s1 - s0, inSize, outSize, dIn, s0 * inSize);
        }
    }
}
