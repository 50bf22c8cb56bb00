package dev.panamacnn.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Vectorized element-wise helpers over float segments; offsets and lengths count floats. */
public final class Vec {
    private Vec() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final ByteOrder NO = ByteOrder.nativeOrder();
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    public static float get(MemorySegment s, long i) { return s.getAtIndex(F, i); }
    public static void set(MemorySegment s, long i, float v) { s.setAtIndex(F, i, v); }

    public static void zero(MemorySegment s, long off, long n) {
        if (n > 0) s.asSlice(off * 4, n * 4).fill((byte) 0);
    }

    /** dst[dOff..+n] = src[sOff..+n]. */
    public static void copy(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        if (n >= 32) {
            MemorySegment.copy(src, sOff * 4, dst, dOff * 4, (long) n * 4);
        } else if (n == L || n == 2 * L) {
            for (int i = 0; i < n; i += L) {
                FloatVector.fromMemorySegment(S, src, (sOff + i) * 4, NO).intoMemorySegment(dst, (dOff + i) * 4, NO);
            }
        } else if (n < L) {
            // short runs (a 5-wide kernel row on one channel): one masked load and store, no scalar loop
            VectorMask<Float> m = S.indexInRange(0, n);
            FloatVector.fromMemorySegment(S, src, sOff * 4, NO, m).intoMemorySegment(dst, dOff * 4, NO, m);
        } else {
            for (int i = 0; i < n; i++) dst.setAtIndex(F, dOff + i, src.getAtIndex(F, sOff + i));
        }
    }

    /** dst[dOff..+n] += src[sOff..+n]. */
    public static void add(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        int i = 0;
        long sb = sOff * 4, db = dOff * 4;
        for (; i <= n - L; i += L, sb += L * 4L, db += L * 4L) {
            FloatVector.fromMemorySegment(S, dst, db, NO).add(FloatVector.fromMemorySegment(S, src, sb, NO))
                    .intoMemorySegment(dst, db, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromMemorySegment(S, dst, db, NO, m).add(FloatVector.fromMemorySegment(S, src, sb, NO, m))
                    .intoMemorySegment(dst, db, NO, m);
        }
    }

    /** Sum of the {@code rows x cols} row-major block's columns, added into {@code out[0..cols]} (rows in order). */
    public static void addColumnSums(MemorySegment m, long off, int rows, int cols, MemorySegment out, long outOff) {
        for (int r = 0; r < rows; r++) add(m, off + (long) r * cols, out, outOff, cols);
    }

    /** Dot product of two float runs (vector lanes, then a fixed-order reduction). */
    public static float dot(MemorySegment a, long aOff, MemorySegment b, long bOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - L; i += L) {
            acc = FloatVector.fromMemorySegment(S, a, (aOff + i) * 4, NO)
                    .fma(FloatVector.fromMemorySegment(S, b, (bOff + i) * 4, NO), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a.getAtIndex(F, aOff + i) * b.getAtIndex(F, bOff + i);
        return s;
    }
}
