package dev.panamacnn.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import java.lang.foreign.MemorySegment;

import static dev.panamacnn.ops.Vec.L;
import static dev.panamacnn.ops.Vec.NO;
import static dev.panamacnn.ops.Vec.S;

/**
 * Per-channel passes of a normalization over {@code rows x c} row-major data (NHWC pixels by channels), vectorized
 * over channels: float vector sums over blocks of {@link #BLOCK} rows, each block's sums added into double
 * accumulators in row order (so long sums keep their precision and the order is fixed by the rows alone). Nothing is
 * allocated.
 */
public final class NormOps {
    private NormOps() {}

    /** Rows summed in float before a block's sums go into the double accumulators. */
    public static final int BLOCK = 64;

    private static VectorMask<Float> mask(int ch, int c) { return S.indexInRange(ch, c); }

    /** {@code sum[ch] += sum over rows [r0, r1) of x[r, ch]} (or of {@code (x - mean)^2} when {@code mean != null}). */
    public static void channelSums(MemorySegment x, long r0, long r1, int c, float[] mean, double[] sum) {
        for (int ch = 0; ch < c; ch += L) {
            VectorMask<Float> m = mask(ch, c);
            FloatVector mv = mean == null ? null : FloatVector.fromArray(S, mean, ch, m);
            for (long b = r0; b < r1; b += BLOCK) {
                long e = Math.min(r1, b + BLOCK);
                FloatVector acc = FloatVector.zero(S);
                for (long r = b; r < e; r++) {
                    FloatVector v = FloatVector.fromMemorySegment(S, x, (r * c + ch) * 4, NO, m);
                    if (mv != null) { v = v.sub(mv); acc = v.fma(v, acc); } else acc = acc.add(v);
                }
                for (int k = 0; k < L && ch + k < c; k++) sum[ch + k] += acc.lane(k);
            }
        }
    }

    /** {@code y = x * scale[ch] + shift[ch]} over rows {@code [r0, r1)}. */
    public static void affine(MemorySegment x, MemorySegment y, long r0, long r1, int c, float[] scale, float[] shift) {
        for (int ch = 0; ch < c; ch += L) {
            VectorMask<Float> m = mask(ch, c);
            FloatVector sc = FloatVector.fromArray(S, scale, ch, m), sh = FloatVector.fromArray(S, shift, ch, m);
            for (long r = r0; r < r1; r++) {
                long o = (r * c + ch) * 4;
                FloatVector.fromMemorySegment(S, x, o, NO, m).fma(sc, sh).intoMemorySegment(y, o, NO, m);
            }
        }
    }

    /** {@code dBeta[ch] += sum dy}, {@code dGamma[ch] += sum dy (x - mean) invStd} over rows {@code [r0, r1)}. */
    public static void gradientSums(MemorySegment x, MemorySegment dy, long r0, long r1, int c, float[] mean, float[] invStd,
                                    double[] dBeta, double[] dGamma) {
        for (int ch = 0; ch < c; ch += L) {
            VectorMask<Float> m = mask(ch, c);
            FloatVector mv = FloatVector.fromArray(S, mean, ch, m), iv = FloatVector.fromArray(S, invStd, ch, m);
            for (long b = r0; b < r1; b += BLOCK) {
                long e = Math.min(r1, b + BLOCK);
                FloatVector ab = FloatVector.zero(S), ag = FloatVector.zero(S);
                for (long r = b; r < e; r++) {
                    long o = (r * c + ch) * 4;
                    FloatVector g = FloatVector.fromMemorySegment(S, dy, o, NO, m);
                    FloatVector xh = FloatVector.fromMemorySegment(S, x, o, NO, m).sub(mv).mul(iv);
                    ab = ab.add(g);
                    ag = g.fma(xh, ag);
                }
                for (int k = 0; k < L && ch + k < c; k++) { dBeta[ch + k] += ab.lane(k); dGamma[ch + k] += ag.lane(k); }
            }
        }
    }

    /** {@code dx = k[ch] (R dy - dBeta[ch] - (x - mean) invStd dGamma[ch])} over rows {@code [r0, r1)}. */
    public static void inputGradient(MemorySegment x, MemorySegment dy, MemorySegment dx, long r0, long r1, int c, float rows,
                                     float[] mean, float[] invStd, float[] k, float[] dBeta, float[] dGamma) {
        for (int ch = 0; ch < c; ch += L) {
            VectorMask<Float> m = mask(ch, c);
            FloatVector mv = FloatVector.fromArray(S, mean, ch, m), iv = FloatVector.fromArray(S, invStd, ch, m);
            FloatVector kv = FloatVector.fromArray(S, k, ch, m), bv = FloatVector.fromArray(S, dBeta, ch, m), gv = FloatVector.fromArray(S, dGamma, ch, m);
            for (long r = r0; r < r1; r++) {
                long o = (r * c + ch) * 4;
                FloatVector xh = FloatVector.fromMemorySegment(S, x, o, NO, m).sub(mv).mul(iv);
                FloatVector g = FloatVector.fromMemorySegment(S, dy, o, NO, m).mul(rows).sub(bv).sub(xh.mul(gv));
                kv.mul(g).intoMemorySegment(dx, o, NO, m);
            }
        }
    }
}
