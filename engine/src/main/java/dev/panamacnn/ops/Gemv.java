package dev.panamacnn.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import java.lang.foreign.MemorySegment;

import static dev.panamacnn.ops.Gemm.F;
import static dev.panamacnn.ops.Gemm.KC;
import static dev.panamacnn.ops.Gemm.L;
import static dev.panamacnn.ops.Gemm.NO;
import static dev.panamacnn.ops.Gemm.S;

/**
 * {@code C = A * B} for a few rows of A (a dense layer on a batch of 1 to a few samples): B ({@code k x n},
 * row-major, a layer's kernel) is streamed once, in place, with no packing, and each output vector is a chain of
 * FMAs over k with the row's element broadcast. There is no register tile over rows, so none of the FMAs are
 * wasted on padding rows, which the GEMM's smallest tile (6 rows) spends on a single sample.
 *
 * <p>The operation order per element is the GEMM's ({@link Gemm}): K in blocks of {@link Gemm#KC}, each block
 * summed from zero by {@code fma(b, a, acc)} in k order, the block's sum then added onto C. So
 * {@code gemv} and {@code Gemm.gemm} give the same bits, and a caller may pick either by speed.
 *
 * <p>Columns are split by the caller ({@code j0, j1}) for threads; each column's result does not depend on the split.
 */
public final class Gemv {
    private Gemv() {}

    /** Columns per register block: eight vectors, enough independent FMA chains to cover the FMA latency. */
    public static final int BLOCK = 8 * L;

    /** Floats per vector: a block narrower than {@link #BLOCK} runs as this many columns per FMA chain. */
    public static final int LANES = L;

    /**
     * {@code C[i, j0:j1] (+)= A[i, :] * B[:, j0:j1]} for rows {@code i < m}; A row-major ({@code lda}), B row-major
     * ({@code ldb}), C row-major ({@code ldc}); offsets in floats.
     */
    public static void gemv(int m, int k, int j0, int j1, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                            boolean accumulate, MemorySegment c, long cOff, int ldc) {
        if (m <= 0 || j1 <= j0) return;
        if (k <= 0) {
            if (!accumulate) for (int i = 0; i < m; i++) c.asSlice((cOff + (long) i * ldc + j0) * 4, (long) (j1 - j0) * 4).fill((byte) 0);
            return;
        }
        if (!Gemm.VECTOR) { scalar(m, k, j0, j1, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc); return; }
        long ldbB = (long) ldb * 4;
        int j = j0;
        for (; j + BLOCK <= j1; j += BLOCK) {
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean acc = accumulate || pc > 0;
                for (int i = 0; i < m; i++) {
                    block8(a, (aOff + (long) i * lda + pc) * 4, b, (bOff + (long) pc * ldb + j) * 4, ldbB, kc, c, (cOff + (long) i * ldc + j) * 4, acc);
                }
            }
        }
        for (; j < j1; j += L) {
            int w = Math.min(L, j1 - j);
            VectorMask<Float> mask = w == L ? S.maskAll(true) : S.indexInRange(0, w);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean acc = accumulate || pc > 0;
                for (int i = 0; i < m; i++) {
                    block1(a, (aOff + (long) i * lda + pc) * 4, b, (bOff + (long) pc * ldb + j) * 4, ldbB, kc, c, (cOff + (long) i * ldc + j) * 4, acc, mask);
                }
            }
        }
    }

    /**
     * The columns {@code k} of A's first {@code m} rows where any row is nonzero (as {@code != 0}, so {@code -0.0}
     * counts as zero and NaN does not), ascending, into {@code idx}; {@code blockStart[q]} is where the K block
     * {@code q} (of {@link Gemm#KC}) starts in {@code idx}, for {@code q <= ceil(k / KC)}. Returns the count.
     */
    public static int nonzeroColumns(int m, int k, MemorySegment a, long aOff, int lda, int[] idx, int[] blockStart) {
        int count = 0;
        for (int pc = 0, q = 0; pc < k; pc += KC, q++) {
            blockStart[q] = count;
            int e = Math.min(k, pc + KC);
            for (int kk = pc; kk < e; kk++) {
                boolean any = false;
                for (int i = 0; i < m && !any; i++) any = a.getAtIndex(F, aOff + (long) i * lda + kk) != 0f;
                idx[count] = kk;          // written either way, kept only if nonzero: no branch on the data
                count += any ? 1 : 0;
            }
        }
        blockStart[(k + KC - 1) / KC] = count;
        return count;
    }

    /** Whether the {@code count} floats from {@code off} are all finite (no NaN or infinity): whether {@link #gemvSparse} may use them. */
    public static boolean allFinite(MemorySegment m, long off, long count) {
        for (long i = off, e = off + count; i < e; i++) if (!Float.isFinite(m.getAtIndex(F, i))) return false;
        return true;
    }

    /**
     * {@link #gemv} over only the columns of A listed by {@link #nonzeroColumns} (a ReLU's output is 40-70% zeros):
     * the rows of B at the other columns are not read at all. Each K block still sums from zero in k order and is
     * then added onto C, so with B finite the result has {@code gemv}'s bits: a skipped term is {@code fma(b, 0, s)},
     * which is {@code s} exactly (the sums start at {@code +0} and an exact zero sum rounds to {@code +0}; the only
     * case where the bits can differ is a sum that underflows to {@code -0.0}, whose sign a skipped term would flip).
     * With a non-finite B a skipped term would be NaN: callers use this only on weights checked finite.
     */
    public static void gemvSparse(int m, int k, int j0, int j1, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                                  boolean accumulate, MemorySegment c, long cOff, int ldc, int[] idx, int[] blockStart) {
        if (m <= 0 || j1 <= j0) return;
        if (k <= 0 || !Gemm.VECTOR) { gemv(m, k, j0, j1, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc); return; }
        long ldbB = (long) ldb * 4;
        int blocks = (k + KC - 1) / KC;
        int j = j0;
        for (; j + BLOCK <= j1; j += BLOCK) {
            for (int q = 0; q < blocks; q++) {
                boolean acc = accumulate || q > 0;
                for (int i = 0; i < m; i++) {
                    block8Sparse(a, (aOff + (long) i * lda) * 4, b, (bOff + j) * 4, ldbB, idx, blockStart[q], blockStart[q + 1],
                            c, (cOff + (long) i * ldc + j) * 4, acc);
                }
            }
        }
        for (; j < j1; j += L) {
            int w = Math.min(L, j1 - j);
            VectorMask<Float> mask = w == L ? S.maskAll(true) : S.indexInRange(0, w);
            for (int q = 0; q < blocks; q++) {
                boolean acc = accumulate || q > 0;
                for (int i = 0; i < m; i++) {
                    block1Sparse(a, (aOff + (long) i * lda) * 4, b, (bOff + j) * 4, ldbB, idx, blockStart[q], blockStart[q + 1],
                            c, (cOff + (long) i * ldc + j) * 4, acc, mask);
                }
            }
        }
    }

    /**
     * {@link #block8} over the listed columns {@code idx[t0:t1]} ({@code aRow}, {@code b0}: the row's and B's column-0
     * bytes). Its add-and-store tail repeats block8's on purpose: moved into a shared helper, the accumulators leave
     * registers (as in {@link Gemm}'s kernels); and block8 keeps its own loop, since the dense path's linear {@code kk}
     * lets C2 drop the index load this one needs.
     */
    static void block8Sparse(MemorySegment a, long aRow, MemorySegment b, long b0, long ldbB, int[] idx, int t0, int t1,
                             MemorySegment c, long cByte, boolean acc) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        FloatVector c4 = FloatVector.zero(S), c5 = FloatVector.zero(S), c6 = FloatVector.zero(S), c7 = FloatVector.zero(S);
        for (int t = t0; t < t1; t++) {
            int kk = idx[t];
            FloatVector x = FloatVector.broadcast(S, a.get(F, aRow + kk * 4L));
            long bo = b0 + kk * ldbB;
            c0 = FloatVector.fromMemorySegment(S, b, bo, NO).fma(x, c0);
            c1 = FloatVector.fromMemorySegment(S, b, bo + L * 4L, NO).fma(x, c1);
            c2 = FloatVector.fromMemorySegment(S, b, bo + 2 * L * 4L, NO).fma(x, c2);
            c3 = FloatVector.fromMemorySegment(S, b, bo + 3 * L * 4L, NO).fma(x, c3);
            c4 = FloatVector.fromMemorySegment(S, b, bo + 4 * L * 4L, NO).fma(x, c4);
            c5 = FloatVector.fromMemorySegment(S, b, bo + 5 * L * 4L, NO).fma(x, c5);
            c6 = FloatVector.fromMemorySegment(S, b, bo + 6 * L * 4L, NO).fma(x, c6);
            c7 = FloatVector.fromMemorySegment(S, b, bo + 7 * L * 4L, NO).fma(x, c7);
        }
        long v = L * 4L;
        if (acc) {
            c0 = c0.add(FloatVector.fromMemorySegment(S, c, cByte, NO));
            c1 = c1.add(FloatVector.fromMemorySegment(S, c, cByte + v, NO));
            c2 = c2.add(FloatVector.fromMemorySegment(S, c, cByte + 2 * v, NO));
            c3 = c3.add(FloatVector.fromMemorySegment(S, c, cByte + 3 * v, NO));
            c4 = c4.add(FloatVector.fromMemorySegment(S, c, cByte + 4 * v, NO));
            c5 = c5.add(FloatVector.fromMemorySegment(S, c, cByte + 5 * v, NO));
            c6 = c6.add(FloatVector.fromMemorySegment(S, c, cByte + 6 * v, NO));
            c7 = c7.add(FloatVector.fromMemorySegment(S, c, cByte + 7 * v, NO));
        }
        c0.intoMemorySegment(c, cByte, NO);
        c1.intoMemorySegment(c, cByte + v, NO);
        c2.intoMemorySegment(c, cByte + 2 * v, NO);
        c3.intoMemorySegment(c, cByte + 3 * v, NO);
        c4.intoMemorySegment(c, cByte + 4 * v, NO);
        c5.intoMemorySegment(c, cByte + 5 * v, NO);
        c6.intoMemorySegment(c, cByte + 6 * v, NO);
        c7.intoMemorySegment(c, cByte + 7 * v, NO);
    }

    /** {@link #block1} over the listed columns {@code idx[t0:t1]}. */
    static void block1Sparse(MemorySegment a, long aRow, MemorySegment b, long b0, long ldbB, int[] idx, int t0, int t1,
                             MemorySegment c, long cByte, boolean acc, VectorMask<Float> mask) {
        FloatVector c0 = FloatVector.zero(S);
        for (int t = t0; t < t1; t++) {
            int kk = idx[t];
            c0 = FloatVector.fromMemorySegment(S, b, b0 + kk * ldbB, NO, mask).fma(FloatVector.broadcast(S, a.get(F, aRow + kk * 4L)), c0);
        }
        if (acc) c0 = c0.add(FloatVector.fromMemorySegment(S, c, cByte, NO, mask));
        c0.intoMemorySegment(c, cByte, NO, mask);
    }

    /** Eight output vectors of one row over one K block. (Stores inline, as in Gemm's kernels, so C2 keeps the accumulators in registers.) */
    static void block8(MemorySegment a, long aByte, MemorySegment b, long bByte, long ldbB, int kc, MemorySegment c, long cByte, boolean acc) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        FloatVector c4 = FloatVector.zero(S), c5 = FloatVector.zero(S), c6 = FloatVector.zero(S), c7 = FloatVector.zero(S);
        long bo = bByte, ao = aByte;
        for (int kk = 0; kk < kc; kk++) {
            FloatVector x = FloatVector.broadcast(S, a.get(F, ao));
            c0 = FloatVector.fromMemorySegment(S, b, bo, NO).fma(x, c0);
            c1 = FloatVector.fromMemorySegment(S, b, bo + L * 4L, NO).fma(x, c1);
            c2 = FloatVector.fromMemorySegment(S, b, bo + 2 * L * 4L, NO).fma(x, c2);
            c3 = FloatVector.fromMemorySegment(S, b, bo + 3 * L * 4L, NO).fma(x, c3);
            c4 = FloatVector.fromMemorySegment(S, b, bo + 4 * L * 4L, NO).fma(x, c4);
            c5 = FloatVector.fromMemorySegment(S, b, bo + 5 * L * 4L, NO).fma(x, c5);
            c6 = FloatVector.fromMemorySegment(S, b, bo + 6 * L * 4L, NO).fma(x, c6);
            c7 = FloatVector.fromMemorySegment(S, b, bo + 7 * L * 4L, NO).fma(x, c7);
            ao += 4;
            bo += ldbB;
        }
        long v = L * 4L;
        if (acc) {
            c0 = c0.add(FloatVector.fromMemorySegment(S, c, cByte, NO));
            c1 = c1.add(FloatVector.fromMemorySegment(S, c, cByte + v, NO));
            c2 = c2.add(FloatVector.fromMemorySegment(S, c, cByte + 2 * v, NO));
            c3 = c3.add(FloatVector.fromMemorySegment(S, c, cByte + 3 * v, NO));
            c4 = c4.add(FloatVector.fromMemorySegment(S, c, cByte + 4 * v, NO));
            c5 = c5.add(FloatVector.fromMemorySegment(S, c, cByte + 5 * v, NO));
            c6 = c6.add(FloatVector.fromMemorySegment(S, c, cByte + 6 * v, NO));
            c7 = c7.add(FloatVector.fromMemorySegment(S, c, cByte + 7 * v, NO));
        }
        c0.intoMemorySegment(c, cByte, NO);
        c1.intoMemorySegment(c, cByte + v, NO);
        c2.intoMemorySegment(c, cByte + 2 * v, NO);
        c3.intoMemorySegment(c, cByte + 3 * v, NO);
        c4.intoMemorySegment(c, cByte + 4 * v, NO);
        c5.intoMemorySegment(c, cByte + 5 * v, NO);
        c6.intoMemorySegment(c, cByte + 6 * v, NO);
        c7.intoMemorySegment(c, cByte + 7 * v, NO);
    }

    /** One (possibly partial) output vector of one row over one K block. */
    static void block1(MemorySegment a, long aByte, MemorySegment b, long bByte, long ldbB, int kc, MemorySegment c, long cByte, boolean acc,
                       VectorMask<Float> mask) {
        FloatVector c0 = FloatVector.zero(S);
        long bo = bByte, ao = aByte;
        for (int kk = 0; kk < kc; kk++) {
            c0 = FloatVector.fromMemorySegment(S, b, bo, NO, mask).fma(FloatVector.broadcast(S, a.get(F, ao)), c0);
            ao += 4;
            bo += ldbB;
        }
        if (acc) c0 = c0.add(FloatVector.fromMemorySegment(S, c, cByte, NO, mask));
        c0.intoMemorySegment(c, cByte, NO, mask);
    }

    /** The same arithmetic without the Vector API ({@code -Dpanamacnn.vector=false}). */
    static void scalar(int m, int k, int j0, int j1, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                       boolean accumulate, MemorySegment c, long cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = j0; j < j1; j++) {
                long co = cOff + (long) i * ldc + j;
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    float s = 0;
                    for (int kk = 0; kk < kc; kk++) {
                        s = Math.fma(b.getAtIndex(F, bOff + (long) (pc + kk) * ldb + j), a.getAtIndex(F, aOff + (long) i * lda + pc + kk), s);
                    }
                    c.setAtIndex(F, co, accumulate || pc > 0 ? s + c.getAtIndex(F, co) : s);
                }
            }
        }
    }
}
