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
 * Max and average pooling over NHWC data with window {@code (ph, pw)} and strides {@code (sh, sw)}, "valid" padding
 * or, in the {@code Padded} forms, windows that start {@code padTop} rows and {@code padLeft} columns before the input
 * and are clipped to it ("same": padded elements never win a max and are not counted in a mean, as in TensorFlow).
 * Max pooling records, for every output element, the index (within its sample) of the input element that won; ties
 * go to the first in row-major window order, as in TensorFlow. The backward pass scatters each output gradient to that
 * index. The global poolings reduce each channel over the whole image. All are vectorized over channels.
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
        boolean pairs = ph == 2 && pw == 2 && sh == 2 && sw == 2 && c % Vec.L == 0;
        for (int s = 0; s < n; s++) {
            long xs = xOff + s * in, ys = yOff + s * out, as = amOff + s * out;
            for (int oy = 0; oy < oh; oy++) {
                if (pairs) {
                    maxPool2x2Row(x, xs, w, c, oy, ow, y, ys, argmax, as);
                    continue;
                }
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
     * Output row {@code oy} of a 2 x 2, stride 2 max pooling whose channels are whole vectors: one loop over the row's
     * {@code ow * c} outputs, a vector at a time, with the general loop's operations in its order (the window's four
     * inputs row-major, the first of equal maxima kept). The general loop nests two 2-trip window loops in a few-trip
     * channel loop per pixel, which C2 compiles with pre- and post-loops around each (see DirectConv.poolPair).
     */
    private static void maxPool2x2Row(MemorySegment x, long xs, int w, int c, int oy, int ow,
                                      MemorySegment y, long ys, MemorySegment argmax, long as) {
        long rowIn = (long) w * c, o = (long) oy * ow * c;
        long t = 2L * oy * rowIn;  // (2*oy*w + 2*ox)*c + ch: the window's top-left input
        int ch = 0;
        FloatVector ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < ow * c; j += Vec.L) {
            FloatVector best = ninf;
            IntVector bi = IOTA.add((int) t);
            for (int q = 0; q < 4; q++) {
                long idx = q == 0 ? t : q == 1 ? t + c : q == 2 ? t + rowIn : t + rowIn + c;
                FloatVector v = FloatVector.fromMemorySegment(S, x, (xs + idx) * 4, Vec.NO);
                VectorMask<Float> gt = v.compare(VectorOperators.GT, best);
                best = best.blend(v, gt);
                bi = bi.blend(IOTA.add((int) idx), gt.cast(IS));
            }
            best.intoMemorySegment(y, (ys + o + j) * 4, Vec.NO);
            bi.intoMemorySegment(argmax, (as + o + j) * 4, Vec.NO);
            ch += Vec.L;
            t += Vec.L;
            if (ch == c) { ch = 0; t += c; }
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

    /** Max pooling with clipped windows (same padding); {@code argmax} holds indices into the unpadded input. */
    public static void maxPoolForwardPadded(MemorySegment x, long xOff, int n, int h, int w, int c, int ph, int pw, int sh, int sw,
                                            int padTop, int padLeft, int oh, int ow, MemorySegment y, long yOff, MemorySegment argmax, long amOff) {
        long in = (long) h * w * c, out = (long) oh * ow * c;
        for (int s = 0; s < n; s++) {
            long xs = xOff + s * in, ys = yOff + s * out, as = amOff + s * out;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = Math.max(0, oy * sh - padTop), y1 = Math.min(h, oy * sh - padTop + ph);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = Math.max(0, ox * sw - padLeft), x1 = Math.min(w, ox * sw - padLeft + pw);
                    long o = ((long) oy * ow + ox) * c;
                    long first = ((long) y0 * w + x0) * c;
                    int ch = 0;
                    for (; ch <= c - Vec.L; ch += Vec.L) {
                        FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                        IntVector bi = IOTA.add((int) (first + ch));
                        for (int yy = y0; yy < y1; yy++) {
                            for (int xx = x0; xx < x1; xx++) {
                                long idx = ((long) yy * w + xx) * c + ch;
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
                        for (int yy = y0; yy < y1; yy++) {
                            for (int xx = x0; xx < x1; xx++) {
                                long idx = ((long) yy * w + xx) * c + ch;
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

    /** Average pooling: each output is the mean of the input elements of its (clipped) window. */
    public static void avgPoolForward(MemorySegment x, long xOff, int n, int h, int w, int c, int ph, int pw, int sh, int sw,
                                      int padTop, int padLeft, int oh, int ow, MemorySegment y, long yOff) {
        long in = (long) h * w * c, out = (long) oh * ow * c;
        for (int s = 0; s < n; s++) {
            long xs = xOff + s * in, ys = yOff + s * out;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = Math.max(0, oy * sh - padTop), y1 = Math.min(h, oy * sh - padTop + ph);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = Math.max(0, ox * sw - padLeft), x1 = Math.min(w, ox * sw - padLeft + pw);
                    long o = ys + ((long) oy * ow + ox) * c;
                    float inv = 1f / ((y1 - y0) * (x1 - x0));
                    int ch = 0;
                    for (; ch <= c - Vec.L; ch += Vec.L) {
                        FloatVector sum = FloatVector.zero(S);
                        for (int yy = y0; yy < y1; yy++) {
                            for (int xx = x0; xx < x1; xx++) {
                                sum = sum.add(FloatVector.fromMemorySegment(S, x, (xs + ((long) yy * w + xx) * c + ch) * 4, Vec.NO));
                            }
                        }
                        sum.mul(inv).intoMemorySegment(y, (o + ch) * 4, Vec.NO);
                    }
                    for (; ch < c; ch++) {
                        float sum = 0f;
                        for (int yy = y0; yy < y1; yy++) {
                            for (int xx = x0; xx < x1; xx++) sum += x.getAtIndex(F, xs + ((long) yy * w + xx) * c + ch);
                        }
                        y.setAtIndex(F, o + ch, sum * inv);
                    }
                }
            }
        }
    }

    /** Average pooling's backward: each input element gets {@code dy / count} of every window it is in; {@code dx} zeroed by the caller. */
    public static void avgPoolBackward(MemorySegment dy, long dyOff, int n, int h, int w, int c, int ph, int pw, int sh, int sw,
                                       int padTop, int padLeft, int oh, int ow, MemorySegment dx, long dxOff) {
        long in = (long) h * w * c, out = (long) oh * ow * c;
        for (int s = 0; s < n; s++) {
            long xs = dxOff + s * in, ds = dyOff + s * out;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = Math.max(0, oy * sh - padTop), y1 = Math.min(h, oy * sh - padTop + ph);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = Math.max(0, ox * sw - padLeft), x1 = Math.min(w, ox * sw - padLeft + pw);
                    long o = ds + ((long) oy * ow + ox) * c;
                    float inv = 1f / ((y1 - y0) * (x1 - x0));
                    int ch = 0;
                    for (; ch <= c - Vec.L; ch += Vec.L) {
                        FloatVector g = FloatVector.fromMemorySegment(S, dy, (o + ch) * 4, Vec.NO).mul(inv);
                        for (int yy = y0; yy < y1; yy++) {
                            for (int xx = x0; xx < x1; xx++) {
                                long b = (xs + ((long) yy * w + xx) * c + ch) * 4;
                                FloatVector.fromMemorySegment(S, dx, b, Vec.NO).add(g).intoMemorySegment(dx, b, Vec.NO);
                            }
                        }
                    }
                    for (; ch < c; ch++) {
                        float g = dy.getAtIndex(F, o + ch) * inv;
                        for (int yy = y0; yy < y1; yy++) {
                            for (int xx = x0; xx < x1; xx++) {
                                long i = xs + ((long) yy * w + xx) * c + ch;
                                dx.setAtIndex(F, i, dx.getAtIndex(F, i) + g);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Per sample and channel, the mean ({@code max == false}) or the max (with its pixel's index) over {@code pixels} pixels. */
    public static void globalPoolForward(MemorySegment x, long xOff, int n, int pixels, int c, boolean max, MemorySegment y, long yOff,
                                         MemorySegment argmax, long amOff) {
        float inv = 1f / pixels;
        for (int s = 0; s < n; s++) {
            long xs = xOff + (long) s * pixels * c, ys = yOff + (long) s * c, as = amOff + (long) s * c;
            int ch = 0;
            for (; ch <= c - Vec.L; ch += Vec.L) {
                FloatVector acc = max ? FloatVector.broadcast(S, Float.NEGATIVE_INFINITY) : FloatVector.zero(S);
                IntVector bi = IOTA.add(ch);
                for (int p = 0; p < pixels; p++) {
                    long idx = (long) p * c + ch;
                    FloatVector v = FloatVector.fromMemorySegment(S, x, (xs + idx) * 4, Vec.NO);
                    if (max) {
                        VectorMask<Float> gt = v.compare(VectorOperators.GT, acc);
                        acc = acc.blend(v, gt);
                        bi = bi.blend(IOTA.add((int) idx), gt.cast(IS));
                    } else {
                        acc = acc.add(v);
                    }
                }
                (max ? acc : acc.mul(inv)).intoMemorySegment(y, (ys + ch) * 4, Vec.NO);
                if (max) bi.intoMemorySegment(argmax, (as + ch) * 4, Vec.NO);
            }
            for (; ch < c; ch++) {
                float acc = max ? Float.NEGATIVE_INFINITY : 0f;
                int bi = ch;
                for (int p = 0; p < pixels; p++) {
                    long idx = (long) p * c + ch;
                    float v = x.getAtIndex(F, xs + idx);
                    if (max) {
                        if (v > acc) { acc = v; bi = (int) idx; }
                    } else {
                        acc += v;
                    }
                }
                y.setAtIndex(F, ys + ch, max ? acc : acc * inv);
                if (max) argmax.setAtIndex(I, as + ch, bi);
            }
        }
    }

    /** Global average pooling's backward: every pixel of a channel gets {@code dy / pixels}; writes all of {@code dx}. */
    public static void globalAvgPoolBackward(MemorySegment dy, long dyOff, int n, int pixels, int c, MemorySegment dx, long dxOff) {
        float inv = 1f / pixels;
        for (int s = 0; s < n; s++) {
            long ds = dyOff + (long) s * c, xs = dxOff + (long) s * pixels * c;
            for (int p = 0; p < pixels; p++) {
                int ch = 0;
                for (; ch <= c - Vec.L; ch += Vec.L) {
                    FloatVector.fromMemorySegment(S, dy, (ds + ch) * 4, Vec.NO).mul(inv).intoMemorySegment(dx, (xs + (long) p * c + ch) * 4, Vec.NO);
                }
                for (; ch < c; ch++) dx.setAtIndex(F, xs + (long) p * c + ch, dy.getAtIndex(F, ds + ch) * inv);
            }
        }
    }
}
