package dev.panamacnn.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.panamacnn.ops.Vec.F;

/**
 * Max pooling over NHWC data with window {@code (ph, pw)} and strides {@code (sh, sw)}, "valid" padding.
 * The forward pass records, for every output element, the index (within its sample) of the input element
 * that won; ties go to the first in row-major window order, as in TensorFlow. The backward pass scatters
 * each output gradient to that index.
 */
public final class PoolOps {
    private PoolOps() {}
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    static final VectorSpecies<Float> S = Vec.S;
    static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    static final IntVector IOTA = IntVector.zero(IS).addIndex(1);

    public static void maxPoolForward(MemorySegment x, long xOff, int n, int h, int w, int c, int ph, int pw, int sh, int sw,
                                      int oh, int ow, MemorySegment y, long yOff, MemorySegment argmax, long amOff) {
        long in = (long) h * w * c, out = (long) oh * ow * c;
        for (int s = 0; s < n; s++) {
            long xs = xOff + s * in, ys = yOff + s * out, as = amOff + s * out;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    long o = ((long) oy * ow + ox) * c;
                    long first = ((long) (oy * sh) * w + (long) ox * sw) * c;
                    int ch = 0;
                    // channels in vector lanes: running max and the index of its first occurrence
                    for (; ch <= c - Vec.L; ch += Vec.L) {
                        FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                        IntVector bi = IOTA.add((int) (first + ch));
                        for (int i = 0; i < ph; i++) {
                            long r = ((long) (oy * sh + i) * w + (long) ox * sw) * c + ch;
                            for (int j = 0; j < pw; j++) {
                                long idx = r + (long) j * c;
                                FloatVector v = FloatVector.fromMemorySegment(S, x, (xs + idx) * 4, Vec.NO);
                                VectorMask<Float> gt = v.compare(VectorOperators.GT, best);
                                best = best.blend(v, gt);
                                bi = bi.blend(IOTA.add((int) idx), gt.cast(IS));
                            }
                        }
                        best.intoMemorySegment(y, (ys + o + ch) * 4, Vec.NO);
                        bi.intoMemorySegment(argmax, (as + o + ch) * 4, Vec.NO);
                    }
                    for (; ch < c; ch++) {
                        float best = Float.NEGATIVE_INFINITY;
                        int bi = (int) (first + ch);
                        for (int i = 0; i < ph; i++) {
                            long r = ((long) (oy * sh + i) * w + (long) ox * sw) * c + ch;
                            for (int j = 0; j < pw; j++) {
                                long idx = r + (long) j * c;
                                float v = x.getAtIndex(F, xs + idx);
                                if (v > best) { best = v; bi = (int) idx; }
                            }
                        }
                        y.setAtIndex(F, ys + o + ch, best);
                        argmax.setAtIndex(I, as + o + ch, bi);
                    }
                }
            }
        }
    }

    /**
     * Backward for non-overlapping windows that tile the input (stride = pool size, and the pool divides the
     * input): every input element gets its window's gradient if it was the window's maximum, else 0. Writes all of
     * {@code dx} (no zeroing needed), vectorized over channels.
     */
    public static void maxPoolBackwardTiled(MemorySegment dy, long dyOff, MemorySegment argmax, long amOff, int n, int h, int w, int c,
                                            int ph, int pw, MemorySegment dx, long dxOff) {
        int oh = h / ph, ow = w / pw;
        long in = (long) h * w * c, out = (long) oh * ow * c;
        FloatVector zero = FloatVector.zero(S);
        for (int s = 0; s < n; s++) {
            long ds = dyOff + s * out, as = amOff + s * out, xs = dxOff + s * in;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    long o = ((long) oy * ow + ox) * c;
                    int ch = 0;
                    for (; ch <= c - Vec.L; ch += Vec.L) {
                        FloatVector g = FloatVector.fromMemorySegment(S, dy, (ds + o + ch) * 4, Vec.NO);
                        IntVector am = IntVector.fromMemorySegment(IS, argmax, (as + o + ch) * 4, Vec.NO);
                        for (int i = 0; i < ph; i++) {
                            for (int j = 0; j < pw; j++) {
                                int idx = ((oy * ph + i) * w + ox * pw + j) * c + ch;
                                VectorMask<Float> hit = am.compare(VectorOperators.EQ, IOTA.add(idx)).cast(S);
                                zero.blend(g, hit).intoMemorySegment(dx, (xs + idx) * 4, Vec.NO);
                            }
                        }
                    }
                    for (; ch < c; ch++) {
                        float g = dy.getAtIndex(F, ds + o + ch);
                        int am = argmax.getAtIndex(I, as + o + ch);
                        for (int i = 0; i < ph; i++) {
                            for (int j = 0; j < pw; j++) {
                                int idx = ((oy * ph + i) * w + ox * pw + j) * c + ch;
                                dx.setAtIndex(F, xs + idx, am == idx ? g : 0f);
                            }
                        }
                    }
                }
            }
        }
    }

    /** {@code dx} (samples [0, n)) must be zeroed by the caller; overlapping windows accumulate. */
    public static void maxPoolBackward(MemorySegment dy, long dyOff, MemorySegment argmax, long amOff, int n, long inPerSample,
                                       long outPerSample, MemorySegment dx, long dxOff) {
        for (int s = 0; s < n; s++) {
            long ds = dyOff + s * outPerSample, as = amOff + s * outPerSample, xs = dxOff + s * inPerSample;
            for (long o = 0; o < outPerSample; o++) {
                long idx = xs + argmax.getAtIndex(I, as + o);
                dx.setAtIndex(F, idx, dx.getAtIndex(F, idx) + dy.getAtIndex(F, ds + o));
            }
        }
    }
}
