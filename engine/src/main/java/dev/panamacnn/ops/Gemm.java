package dev.panamacnn.ops;

import dev.panamacnn.backend.Parallel;
import dev.panamacnn.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Single-precision matrix product {@code C = op(A) * op(B)} (or {@code C += ...}) over off-heap segments.
 *
 * <p>{@code op(A)} is {@code M x K}: stored row-major as {@code A[i*lda + k]}, or, when {@code transA},
 * as {@code A[k*lda + i]}. {@code op(B)} is {@code K x N}: {@code B[k*ldb + j]}, or {@code B[j*ldb + k]}
 * when {@code transB}. All offsets and leading dimensions count floats, not bytes.
 *
 * <p>The structure is the classic Goto/BLIS one: B is packed into {@code KC x NR} column panels and a
 * register-blocked micro-kernel keeps an {@code MR x NR} tile of C in {@code 2*MR} vector registers while
 * streaming a B panel and broadcasting A's elements. A is not packed: the kernel broadcasts its elements
 * straight from the source with a row and a column stride (packing A cost more than it saved at this
 * network's sizes); only a ragged last row panel is copied, zero-padded. Each element of C is always produced by the same
 * sequence of floating-point operations (K in blocks of {@link #KC}, in order), whatever way the work is split
 * between threads, so parallel results are bit-identical to serial ones.
 *
 * <p>With {@code -Dpanamacnn.vector=false} a scalar micro-kernel of the same structure is used (for
 * comparison and for machines where the Vector API is slow).
 */
public final class Gemm {
    private Gemm() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final ByteOrder NO = ByteOrder.nativeOrder();
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    /** Rows of the register tile. */
    public static final int MR = 6;
    /** Columns of the register tile: two vectors. */
    public static final int NR = 2 * L;
    public static final int KC = 256;
    public static final int MC = 16 * MR;
    public static final int NC = 16 * NR;
    static final boolean VECTOR = !"false".equals(System.getProperty("panamacnn.vector"));

    /** Per-thread packing buffers, allocated once. */
    public static final class Scratch {
        final MemorySegment packA;
        final MemorySegment packB;
        final MemorySegment tile;

        public Scratch(Arena arena) {
            packA = Tensor.allocateFloats(arena, (long) MC * KC);
            packB = Tensor.allocateFloats(arena, (long) KC * NC);
            tile = Tensor.allocateFloats(arena, (long) MR * NR);
        }
    }

    /** Serial GEMM; {@code accumulate} selects {@code C += A*B} instead of {@code C = A*B}. */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k,
                            MemorySegment a, long aOff, int lda,
                            MemorySegment b, long bOff, int ldb,
                            boolean accumulate, MemorySegment c, long cOff, int ldc, Scratch s) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0) {
            if (!accumulate) for (int i = 0; i < m; i++) c.asSlice((cOff + (long) i * ldc) * 4, (long) n * 4).fill((byte) 0);
            return;
        }
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                if (!transB && m <= 2 * MR && DIRECT_B) {
                    // few rows of A (inference on a batch of 1): packing B would cost more than the product, so B is
                    // read in place, row by row; only a ragged last panel is packed
                    int full = (nc / NR) * NR;
                    if (full < nc) packB(false, b, bOff, ldb, pc, jc + full, kc, nc - full, s.packB);
                    macro(transA, m, nc, kc, a, aOff, lda, pc, b, (bOff + (long) pc * ldb + jc) * 4, NR * 4L, (long) ldb * 4,
                            full, s.packB, accumulate || pc > 0, c, cOff + jc, ldc, s);
                } else {
                    packB(transB, b, bOff, ldb, pc, jc, kc, nc, s.packB);
                    macro(transA, m, nc, kc, a, aOff, lda, pc, s.packB, 0, (long) kc * NR * 4, NR * 4L, nc, s.packB,
                            accumulate || pc > 0, c, cOff + jc, ldc, s);
                }
            }
        }
    }

    static final boolean DIRECT_B = !"false".equals(System.getProperty("panamacnn.directB"));

    /** Floats needed to hold op(B) ({@code k x n}) packed by {@link #packB(boolean, int, int, MemorySegment, long, int, MemorySegment)}. */
    public static long packedSize(int k, int n) {
        return (long) ((n + NR - 1) / NR) * NR * k;
    }

    /**
     * Packs all of op(B) ({@code k x n}) once, for a B that many products share (a layer's weights): NR-wide
     * panels over the full K, panel p at {@code p*k*NR}.
     */
    public static void packB(boolean transB, int k, int n, MemorySegment b, long bOff, int ldb, MemorySegment dst) {
        packB(transB, b, bOff, ldb, 0, 0, k, n, dst);
    }

    /** Serial GEMM with op(B) already packed by {@link #packB(boolean, int, int, MemorySegment, long, int, MemorySegment)} ({@code k x n}). */
    public static void gemmPacked(boolean transA, int m, int n, int k, MemorySegment a, long aOff, int lda,
                                  MemorySegment packedB, boolean accumulate, MemorySegment c, long cOff, int ldc, Scratch s) {
        if (m <= 0 || n <= 0 || k <= 0) return;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                macro(transA, m, nc, kc, a, aOff, lda, pc, packedB, ((long) (jc / NR) * k + pc) * NR * 4, (long) k * NR * 4,
                        NR * 4L, nc, packedB, accumulate || pc > 0, c, cOff + jc, ldc, s);
            }
        }
    }

    /**
     * C[0:m, 0:nc] (+)= op(A)[0:m, pc:pc+kc] * B, where B's NR-wide column panels come from {@code pb}: panel p
     * starts at byte {@code pbStart + p*panelStep} and its rows are {@code bks} bytes apart (packed panels: NR*4;
     * B read in place: its row stride). Columns from {@code fromPb} on come from {@code tail}, one packed panel.
     */
    private static void macro(boolean transA, int m, int nc, int kc, MemorySegment a, long aOff, int lda, int pc,
                              MemorySegment pb, long pbStart, long panelStep, long bks, int fromPb, MemorySegment tail,
                              boolean acc, MemorySegment c, long cOff, int ldc, Scratch s) {
        // A is read in place (no packing) for full MR-row panels: element (i, k) sits at aOff + i*rs + k*ks.
        // Only a ragged last panel is packed, zero-padded, into s.packA.
        long rs = transA ? 1 : lda, ks = transA ? lda : 1;
        for (int ic = 0; ic < m; ic += MC) {
            int mc = Math.min(MC, m - ic);
            int fullRows = (mc / MR) * MR;
            if (fullRows < mc) packA(transA, a, aOff, lda, ic + fullRows, pc, mc - fullRows, kc, s.packA);
            for (int jr = 0; jr < nc; jr += NR) {
                int nr = Math.min(NR, nc - jr);
                boolean inPb = jr < fromPb;
                MemorySegment bs = inPb ? pb : tail;
                long pbOff = inPb ? pbStart + (jr / NR) * panelStep : 0, bStep = inPb ? bks : NR * 4L;
                for (int ir = 0; ir < mc; ir += MR) {
                    int mr = Math.min(MR, mc - ir);
                    MemorySegment as;
                    long aByte, rsB, ksB;
                    if (mr == MR) {
                        as = a; aByte = (aOff + (ic + ir) * rs + pc * ks) * 4; rsB = rs * 4; ksB = ks * 4;
                    } else {
                        as = s.packA; aByte = 0; rsB = 4; ksB = MR * 4L;
                    }
                    long cByte = (cOff + (long) (ic + ir) * ldc + jr) * 4;
                    if (VECTOR) {
                        if (mr == MR && nr == NR) {
                            kernelVector(as, aByte, rsB, ksB, bs, pbOff, bStep, kc, c, cByte, (long) ldc * 4, acc);
                        } else {
                            kernelVector(as, aByte, rsB, ksB, bs, pbOff, bStep, kc, s.tile, 0, NR * 4L, false);
                            addTile(s.tile, c, cByte, (long) ldc * 4, mr, nr, acc);
                        }
                    } else {
                        kernelScalar(as, aByte, rsB, ksB, bs, pbOff, bStep, kc, c, cByte, ldc, mr, nr, acc);
                    }
                }
            }
        }
    }

    /**
     * The same product split into independent output blocks run on {@code pool}; {@code scratch[w]} belongs
     * to worker {@code w}. Bit-identical to {@link #gemm} for any thread count.
     */
    public static void gemm(Parallel pool, Scratch[] scratch, boolean transA, boolean transB, int m, int n, int k,
                            MemorySegment a, long aOff, int lda,
                            MemorySegment b, long bOff, int ldb,
                            boolean accumulate, MemorySegment c, long cOff, int ldc) {
        int threads = pool.threads();
        long flops = 2L * m * n * k;
        if (threads == 1 || flops < 2_000_000) {
            gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, scratch[0]);
            return;
        }
        // Split N first: a task then packs only its own columns of B (A is read in place), so nothing is
        // packed twice. Split M only when N has too few panels (then each task repacks all of B, which is small).
        int target = threads * 4;
        int mUnits = (m + MR - 1) / MR, nUnits = (n + NR - 1) / NR;
        int nParts = Math.min(nUnits, target), mParts = 1;
        if (nParts < target) mParts = Math.min(mUnits, (target + nParts - 1) / nParts);
        int mStep = ((mUnits + mParts - 1) / mParts) * MR;
        int nStep = ((nUnits + nParts - 1) / nParts) * NR;
        int mBlocks = (m + mStep - 1) / mStep, nBlocks = (n + nStep - 1) / nStep;
        pool.forEach(mBlocks * nBlocks, (task, w) -> {
            int i0 = (task / nBlocks) * mStep, j0 = (task % nBlocks) * nStep;
            int mm = Math.min(mStep, m - i0), nn = Math.min(nStep, n - j0);
            long ao = transA ? aOff + i0 : aOff + (long) i0 * lda;
            long bo = transB ? bOff + (long) j0 * ldb : bOff + j0;
            gemm(transA, transB, mm, nn, k, a, ao, lda, b, bo, ldb, accumulate, c, cOff + (long) i0 * ldc + j0, ldc, scratch[w]);
        });
    }

    /** Packs op(B)[pc:pc+kc, jc:jc+nc] into NR-wide column panels: panel p, row kk at (p*kc + kk)*NR. */
    static void packB(boolean transB, MemorySegment b, long bOff, int ldb, int pc, int jc, int kc, int nc, MemorySegment dst) {
        for (int jp = 0; jp < nc; jp += NR) {
            int w = Math.min(NR, nc - jp);
            long base = (long) (jp / NR) * kc * NR;
            if (!transB) {
                for (int kk = 0; kk < kc; kk++) {
                    long src = bOff + (long) (pc + kk) * ldb + jc + jp;
                    long d = (base + (long) kk * NR) * 4;
                    if (w == NR && VECTOR) {
                        FloatVector.fromMemorySegment(S, b, src * 4, NO).intoMemorySegment(dst, d, NO);
                        FloatVector.fromMemorySegment(S, b, (src + L) * 4, NO).intoMemorySegment(dst, d + L * 4L, NO);
                    } else {
                        for (int j = 0; j < w; j++) dst.set(F, d + j * 4L, b.get(F, (src + j) * 4));
                        for (int j = w; j < NR; j++) dst.set(F, d + j * 4L, 0f);
                    }
                }
            } else {
                for (int j = 0; j < NR; j++) {
                    if (j < w) {
                        long src = bOff + (long) (jc + jp + j) * ldb + pc;
                        for (int kk = 0; kk < kc; kk++) dst.set(F, (base + (long) kk * NR + j) * 4, b.get(F, (src + kk) * 4));
                    } else {
                        for (int kk = 0; kk < kc; kk++) dst.set(F, (base + (long) kk * NR + j) * 4, 0f);
                    }
                }
            }
        }
    }

    /** Packs op(A)[ic:ic+mc, pc:pc+kc] into MR-high row panels: panel p, column kk at (p*kc + kk)*MR. */
    static void packA(boolean transA, MemorySegment a, long aOff, int lda, int ic, int pc, int mc, int kc, MemorySegment dst) {
        for (int ip = 0; ip < mc; ip += MR) {
            int h = Math.min(MR, mc - ip);
            long base = (long) (ip / MR) * kc * MR;
            if (!transA) {
                for (int r = 0; r < MR; r++) {
                    if (r < h) {
                        long src = aOff + (long) (ic + ip + r) * lda + pc;
                        for (int kk = 0; kk < kc; kk++) dst.set(F, (base + (long) kk * MR + r) * 4, a.get(F, (src + kk) * 4));
                    } else {
                        for (int kk = 0; kk < kc; kk++) dst.set(F, (base + (long) kk * MR + r) * 4, 0f);
                    }
                }
            } else {
                for (int kk = 0; kk < kc; kk++) {
                    long src = aOff + (long) (pc + kk) * lda + ic + ip;
                    long d = (base + (long) kk * MR) * 4;
                    for (int r = 0; r < h; r++) dst.set(F, d + r * 4L, a.get(F, (src + r) * 4));
                    for (int r = h; r < MR; r++) dst.set(F, d + r * 4L, 0f);
                }
            }
        }
    }

    /**
     * MR x NR micro-kernel: twelve accumulator vectors, one broadcast per row and k. The result goes
     * straight to {@code c}; partial edge tiles are written to a scratch tile by the caller. (Keep the
     * stores inline: routing them through a helper method made C2 keep the accumulators boxed, 10x slower.)
     */
    static void kernelVector(MemorySegment pa, long paOff, long rs, long ks, MemorySegment pb, long pbOff, long bks, int kc,
                             MemorySegment c, long cByte, long ldcBytes, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        long ao = paOff, bo = pbOff;
        for (int kk = 0; kk < kc; kk++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, pb, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, pb, bo + L * 4L, NO);
            FloatVector a0 = FloatVector.broadcast(S, pa.get(F, ao));
            c00 = b0.fma(a0, c00); c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S, pa.get(F, ao + rs));
            c10 = b0.fma(a1, c10); c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S, pa.get(F, ao + 2 * rs));
            c20 = b0.fma(a2, c20); c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S, pa.get(F, ao + 3 * rs));
            c30 = b0.fma(a3, c30); c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S, pa.get(F, ao + 4 * rs));
            c40 = b0.fma(a4, c40); c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S, pa.get(F, ao + 5 * rs));
            c50 = b0.fma(a5, c50); c51 = b1.fma(a5, c51);
            ao += ks;
            bo += bks;
        }
        long r = cByte;
        if (acc) {
            c00 = c00.add(FloatVector.fromMemorySegment(S, c, r, NO)); c01 = c01.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c10 = c10.add(FloatVector.fromMemorySegment(S, c, r, NO)); c11 = c11.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c20 = c20.add(FloatVector.fromMemorySegment(S, c, r, NO)); c21 = c21.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c30 = c30.add(FloatVector.fromMemorySegment(S, c, r, NO)); c31 = c31.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c40 = c40.add(FloatVector.fromMemorySegment(S, c, r, NO)); c41 = c41.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c50 = c50.add(FloatVector.fromMemorySegment(S, c, r, NO)); c51 = c51.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO));
        }
        r = cByte;
        c00.intoMemorySegment(c, r, NO); c01.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c10.intoMemorySegment(c, r, NO); c11.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c20.intoMemorySegment(c, r, NO); c21.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c30.intoMemorySegment(c, r, NO); c31.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c40.intoMemorySegment(c, r, NO); c41.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c50.intoMemorySegment(c, r, NO); c51.intoMemorySegment(c, r + L * 4L, NO);
    }

    static void addTile(MemorySegment tile, MemorySegment c, long cByte, long ldcBytes, int mr, int nr, boolean acc) {
        for (int i = 0; i < mr; i++) {
            for (int j = 0; j < nr; j++) {
                float v = tile.get(F, ((long) i * NR + j) * 4);
                long o = cByte + i * ldcBytes + j * 4L;
                c.set(F, o, acc ? c.get(F, o) + v : v);
            }
        }
    }

    /** Scalar micro-kernel with the same operation order per element (fma, then one add into C). */
    static void kernelScalar(MemorySegment pa, long paOff, long rs, long ks, MemorySegment pb, long pbOff, long bks, int kc,
                             MemorySegment c, long cByte, int ldc, int mr, int nr, boolean acc) {
        float[] t = new float[MR * NR];
        long ao = paOff, bo = pbOff;
        for (int kk = 0; kk < kc; kk++) {
            for (int i = 0; i < mr; i++) {
                float av = pa.get(F, ao + i * rs);
                for (int j = 0; j < NR; j++) t[i * NR + j] = Math.fma(av, pb.get(F, bo + j * 4L), t[i * NR + j]);
            }
            ao += ks;
            bo += bks;
        }
        for (int i = 0; i < mr; i++) {
            for (int j = 0; j < nr; j++) {
                long o = cByte + ((long) i * ldc + j) * 4;
                c.set(F, o, acc ? c.get(F, o) + t[i * NR + j] : t[i * NR + j]);
            }
        }
    }
}
