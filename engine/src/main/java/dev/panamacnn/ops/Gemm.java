package dev.panamacnn.ops;

import dev.panamacnn.runtime.Parallel;
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
 * <p>The structure is the classic Goto/BLIS one: B is packed into {@code KC x NR} column panels, each
 * {@code MC x KC} block of A is copied whole rows (or, transposed, whole columns) at a time, and a
 * register-blocked micro-kernel keeps an {@code MR x NR} tile of C in {@code 2*MR} vector registers while
 * streaming a B panel and broadcasting A's elements. The packed operands live in Java arrays, not segments:
 * with indices linear in the loop counter C2 removes every bounds check from the inner loop, which on segments
 * kept one compare-and-branch per load (and an alignment test per scalar load), about 40 scalar instructions
 * beside the 12 FMAs of each k of the old 6 x 32 kernel; that is what held it near half of the FMA peak.
 *
 * <p>Each element of C is always produced by the same sequence of floating-point operations (K in blocks of
 * {@link #KC}, in order), whatever way the work is split between threads, so parallel results are bit-identical
 * to serial ones.
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
    public static final int MR = 8;
    /** Rows of the register tile on the few-rows path, which reads A and B in place from segments. */
    static final int MRD = 6;
    /** Columns of the register tile: two vectors. */
    public static final int NR = 2 * L;
    public static final int KC = 256;
    public static final int MC = 16 * MR;
    public static final int NC = 16 * NR;
    static final boolean VECTOR = dev.panamacnn.runtime.Flags.VECTOR;
    /**
     * Whether the MR x NR micro-kernels run as two passes over 4-row halves of the tile. The whole tile needs 2*MR
     * = 16 accumulators, two B vectors and a broadcast, 19 vector registers: AVX-512 has 32, but AVX2 has 16, so C2
     * cannot keep them all in registers (the whole tile ran at ~44% of the FMA peak on a Zen 3, the halves at ~74%;
     * docs/performance.md). Each half keeps 8 accumulators and re-reads the B panel from L1. The 4-row kernels repeat
     * the 8-row ones' code for the reasons in {@link #kernelRowsA}'s and {@link #kernelColumnsA}'s notes. Every element
     * of C still gets the same operations in the same order, so both ways give the same bits.
     */
    static final boolean HALVES = dev.panamacnn.runtime.Flags.halfTiles(S.vectorBitSize());

    /** Whether the Vector API micro-kernels are in use (not {@code -Dpanamacnn.vector=false}). */
    public static boolean vectorized() { return VECTOR; }

    /** Per-thread packing buffers, allocated once. */
    public static final class Scratch {
        /** One MC x KC block of op(A), packed (see {@link #packA}). */
        final float[] packA = new float[MC * KC];
        /** One KC x NC block of op(B) in NR-wide panels (off-heap, so every panel row is 64-byte aligned). */
        final MemorySegment packB;
        /** NR rows of a transposed B on their way into a panel. */
        final float[] rows = new float[NR * KC];
        /** Image offsets of the MR kernel taps of one {@link DirectConv} gradient tile. */
        final int[] taps = new int[MR];
        /** For the few-rows path that reads B in place: a ragged last B panel and a ragged last A panel. */
        final MemorySegment tailB;
        final MemorySegment tailA;
        final MemorySegment tile;

        public Scratch(Arena arena) {
            packB = Tensor.allocateFloats(arena, (long) KC * NC);
            tailB = Tensor.allocateFloats(arena, (long) KC * NR);
            tailA = Tensor.allocateFloats(arena, (long) MRD * KC);
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
                if (!transB && m <= 2 * MRD && DIRECT_B) {
                    // few rows of A (inference on a batch of 1): packing B would cost more than the product, so B is
                    // read in place, row by row; only a ragged last panel is packed
                    int full = (nc / NR) * NR;
                    if (full < nc) packBSegment(b, bOff, ldb, pc, jc + full, kc, nc - full, s.tailB);
                    macroDirect(transA, m, nc, kc, a, aOff, lda, pc, b, (bOff + (long) pc * ldb + jc) * 4, NR * 4L, (long) ldb * 4,
                            full, s.tailB, accumulate || pc > 0, c, cOff + jc, ldc, s);
                } else {
                    packB(transB, b, bOff, ldb, pc, jc, kc, nc, s.packB, 0, s.rows);
                    macro(transA, m, nc, kc, a, aOff, lda, pc, s.packB, 0, kc * NR,
                            accumulate || pc > 0, c, cOff + jc, ldc, s);
                }
            }
        }
    }

    static final boolean DIRECT_B = dev.panamacnn.runtime.Flags.DIRECT_B;

    /** Floats needed to hold op(B) ({@code k x n}) packed by {@link #packB(boolean, int, int, MemorySegment, long, int, float[])}. */
    public static int packedSize(int k, int n) {
        long size = (long) ((n + NR - 1) / NR) * NR * k;
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("packed operand too large: " + k + " x " + n);
        return (int) size;
    }

    /**
     * Packs all of op(B) ({@code k x n}) once, for a B that many products share (a layer's weights): NR-wide
     * panels over the full K, panel p at {@code p*k*NR}.
     */
    public static void packB(boolean transB, int k, int n, MemorySegment b, long bOff, int ldb, MemorySegment dst) {
        packB(transB, k, n, b, bOff, ldb, dst, transB ? new float[packRowsSize(k)] : null);
    }

    /** Floats of scratch {@link #packB(boolean, int, int, MemorySegment, long, int, float[], float[])} needs for a transposed B with {@code k} rows. */
    public static int packRowsSize(int k) { return k <= KC ? NR * k : k; }

    /** The same, with the caller's scratch for a transposed B ({@link #packRowsSize}), so a per-step repack allocates nothing. */
    public static void packB(boolean transB, int k, int n, MemorySegment b, long bOff, int ldb, MemorySegment dst, float[] rows) {
        for (int jc = 0; jc < n; jc += NR) packB(transB, b, bOff, ldb, 0, jc, k, Math.min(NR, n - jc), dst, (long) (jc / NR) * k * NR, rows);
    }

    /** Serial GEMM with op(B) already packed by {@link #packB(boolean, int, int, MemorySegment, long, int, float[])} ({@code k x n}). */
    public static void gemmPacked(boolean transA, int m, int n, int k, MemorySegment a, long aOff, int lda,
                                  MemorySegment packedB, boolean accumulate, MemorySegment c, long cOff, int ldc, Scratch s) {
        if (m <= 0 || n <= 0 || k <= 0) return;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                macro(transA, m, nc, kc, a, aOff, lda, pc, packedB, ((long) (jc / NR) * k + pc) * NR, (long) k * NR,
                        accumulate || pc > 0, c, cOff + jc, ldc, s);
            }
        }
    }

    /**
     * A source of op(A) that is not a stored matrix (a convolution's receptive fields, read from the image): copies
     * op(A)[ic:ic+mc, pc:pc+kc] into {@code dst} in {@link #packA}'s layout (row i at {@code i*KC}, or with
     * {@code transA} column kk at {@code kk*MC}), zero-padding rows up to a multiple of MR.
     */
    @FunctionalInterface
    public interface PackA {
        void pack(boolean transA, int ic, int pc, int mc, int kc, float[] dst);
    }

    /** {@link #gemmPacked(boolean, int, int, int, MemorySegment, long, int, float[], boolean, MemorySegment, long, int, Scratch)} with A from {@code a}. */
    public static void gemmPacked(boolean transA, int m, int n, int k, PackA a, MemorySegment packedB, boolean accumulate,
                                  MemorySegment c, long cOff, int ldc, Scratch s) {
        if (m <= 0 || n <= 0 || k <= 0) return;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                macro(transA, m, nc, kc, a, pc, packedB, ((long) (jc / NR) * k + pc) * NR, (long) k * NR, accumulate || pc > 0, c, cOff + jc, ldc, s);
            }
        }
    }

    /** Serial {@code C (+)= op(A) * B} with A from {@code a} and B ({@code k x n}, not transposed) packed per call, as {@link #gemm}. */
    public static void gemm(boolean transA, int m, int n, int k, PackA a, MemorySegment b, long bOff, int ldb,
                            boolean accumulate, MemorySegment c, long cOff, int ldc, Scratch s) {
        if (m <= 0 || n <= 0 || k <= 0) return;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                packB(false, b, bOff, ldb, pc, jc, kc, nc, s.packB, 0, s.rows);
                macro(transA, m, nc, kc, a, pc, s.packB, 0, kc * NR, accumulate || pc > 0, c, cOff + jc, ldc, s);
            }
        }
    }

    /** Where each MR x NR tile of a scattered product goes: the byte offset in C of the tile at row i0, column j0. */
    @FunctionalInterface
    public interface TileTarget {
        long byteOffset(int i0, int j0);
    }

    /**
     * {@code A * B} (A {@code m x k}, row-major; B packed once, {@code k x n}) added onto tiles placed anywhere in
     * {@code c}: the MR x NR tile at (i0, j0) is added at byte {@code target.byteOffset(i0, j0)}, its rows
     * {@code rowStrideBytes} apart. Used to add a convolution's input gradient straight into the image, without
     * a column buffer and col2im. Needs {@code m % MR == 0}, {@code n % NR == 0} and {@code k <= KC} (each tile is
     * final when it is added); tiles are added in a fixed order.
     */
    public static void gemmPackedAddTo(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment packedB,
                                       MemorySegment c, TileTarget target, long rowStrideBytes, Scratch s) {
        if (m % MR != 0 || n % NR != 0 || k > KC || !VECTOR) {
            throw new IllegalArgumentException("gemmPackedAddTo needs m % " + MR + " == 0, n % " + NR + " == 0, k <= " + KC
                    + " and the vector kernels: m=" + m + " n=" + n + " k=" + k);
        }
        float[] pa = s.packA;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int ic = 0; ic < m; ic += MC) {
                int mc = Math.min(MC, m - ic);
                packA(false, a, aOff, lda, ic, 0, mc, k, pa);
                for (int jr = 0; jr < nc; jr += NR) {
                    long pbByte = (long) ((jc + jr) / NR) * k * NR * 4;
                    for (int ir = 0; ir < mc; ir += MR) {
                        kernelRowsA(pa, ir * KC, packedB, pbByte, k, c, target.byteOffset(ic + ir, jc + jr), rowStrideBytes, true);
                    }
                }
            }
        }
    }

    /**
     * C[0:m, 0:nc] (+)= op(A)[0:m, pc:pc+kc] * B with B's NR-wide panels in {@code pb}: panel p starts at
     * {@code pbStart + p*panelStep}, its rows NR floats apart. Each MC x KC block of op(A) is first copied into
     * {@code s.packA} (whole rows or columns at a time), so that the micro-kernel reads only Java arrays with
     * indices linear in its loop counter: C2 then removes every bounds check from the inner loop (on segments
     * each of the eight loads per k kept a bounds check, and each scalar load an alignment check).
     */
    private static void macro(boolean transA, int m, int nc, int kc, MemorySegment a, long aOff, int lda, int pc,
                              MemorySegment pb, long pbStart, long panelStep, boolean acc, MemorySegment c, long cOff, int ldc, Scratch s) {
        for (int ic = 0; ic < m; ic += MC) {
            int mc = Math.min(MC, m - ic);
            packA(transA, a, aOff, lda, ic, pc, mc, kc, s.packA);
            block(transA, ic, mc, nc, kc, pb, pbStart, panelStep, acc, c, cOff, ldc, s);
        }
    }

    /** {@link #macro} with A's blocks packed by {@code a} instead of copied from a stored matrix. */
    private static void macro(boolean transA, int m, int nc, int kc, PackA a, int pc,
                              MemorySegment pb, long pbStart, long panelStep, boolean acc, MemorySegment c, long cOff, int ldc, Scratch s) {
        for (int ic = 0; ic < m; ic += MC) {
            int mc = Math.min(MC, m - ic);
            a.pack(transA, ic, pc, mc, kc, s.packA);
            block(transA, ic, mc, nc, kc, pb, pbStart, panelStep, acc, c, cOff, ldc, s);
        }
    }

    /** Rows {@code [ic, ic+mc)} of C from the packed block of A in {@code s.packA} and B's panels. */
    private static void block(boolean transA, int ic, int mc, int nc, int kc, MemorySegment pb, long pbStart, long panelStep, boolean acc,
                              MemorySegment c, long cOff, int ldc, Scratch s) {
        float[] pa = s.packA;
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            long pbOff = (pbStart + (jr / NR) * panelStep) * 4;   // bytes
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = Math.min(MR, mc - ir);
                long cByte = (cOff + (long) (ic + ir) * ldc + jr) * 4;
                boolean whole = mr == MR && nr == NR;
                MemorySegment dst = whole ? c : s.tile;
                long dstByte = whole ? cByte : 0, dstLd = whole ? (long) ldc * 4 : NR * 4L;
                boolean dstAcc = whole && acc;
                if (!VECTOR) {
                    if (transA) kernelScalar(pa, ir, 1, MC, pb, pbOff, kc, dst, dstByte, dstLd, dstAcc);
                    else kernelScalar(pa, ir * KC, KC, 1, pb, pbOff, kc, dst, dstByte, dstLd, dstAcc);
                } else if (transA) {
                    kernelColumnsA(pa, ir, pb, pbOff, kc, dst, dstByte, dstLd, dstAcc);
                } else {
                    kernelRowsA(pa, ir * KC, pb, pbOff, kc, dst, dstByte, dstLd, dstAcc);
                }
                if (!whole) addTile(s.tile, c, cByte, (long) ldc * 4, mr, nr, acc);
            }
        }
    }

    /**
     * C[0:m, 0:nc] (+)= op(A)[0:m, pc:pc+kc] * B, where B's NR-wide column panels come from {@code pb}: panel p
     * starts at byte {@code pbStart + p*panelStep} and its rows are {@code bks} bytes apart (packed panels: NR*4;
     * B read in place: its row stride). Columns from {@code fromPb} on come from {@code tail}, one packed panel.
     */
    private static void macroDirect(boolean transA, int m, int nc, int kc, MemorySegment a, long aOff, int lda, int pc,
                              MemorySegment pb, long pbStart, long panelStep, long bks, int fromPb, MemorySegment tail,
                              boolean acc, MemorySegment c, long cOff, int ldc, Scratch s) {
        // A is read in place (no packing) for full MRD-row panels: element (i, k) sits at aOff + i*rs + k*ks.
        // Only a ragged last panel is packed, zero-padded, into s.packA.
        long rs = transA ? 1 : lda, ks = transA ? lda : 1;
        for (int ic = 0; ic < m; ic += MC) {
            int mc = Math.min(MC, m - ic);
            int fullRows = (mc / MRD) * MRD;
            if (fullRows < mc) packASegment(transA, a, aOff, lda, ic + fullRows, pc, mc - fullRows, kc, s.tailA);
            for (int jr = 0; jr < nc; jr += NR) {
                int nr = Math.min(NR, nc - jr);
                boolean inPb = jr < fromPb;
                MemorySegment bs = inPb ? pb : tail;
                long pbOff = inPb ? pbStart + (jr / NR) * panelStep : 0, bStep = inPb ? bks : NR * 4L;
                for (int ir = 0; ir < mc; ir += MRD) {
                    int mr = Math.min(MRD, mc - ir);
                    MemorySegment as;
                    long aByte, rsB, ksB;
                    if (mr == MRD) {
                        as = a; aByte = (aOff + (ic + ir) * rs + pc * ks) * 4; rsB = rs * 4; ksB = ks * 4;
                    } else {
                        as = s.tailA; aByte = 0; rsB = 4; ksB = MRD * 4L;
                    }
                    long cByte = (cOff + (long) (ic + ir) * ldc + jr) * 4;
                    if (VECTOR) {
                        if (mr == MRD && nr == NR) {
                            kernelVector(as, aByte, rsB, ksB, bs, pbOff, bStep, kc, c, cByte, (long) ldc * 4, acc);
                        } else {
                            kernelVector(as, aByte, rsB, ksB, bs, pbOff, bStep, kc, s.tile, 0, NR * 4L, false);
                            addTile(s.tile, c, cByte, (long) ldc * 4, mr, nr, acc);
                        }
                    } else {
                        kernelScalarSegment(as, aByte, rsB, ksB, bs, pbOff, bStep, kc, c, cByte, ldc, mr, nr, acc);
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
        if (!splits(pool, m, n, k)) {
            gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, scratch[0]);
            return;
        }
        forEachBlock(pool, m, n, (i0, j0, mm, nn, w) -> {
            long ao = transA ? aOff + i0 : aOff + (long) i0 * lda;
            long bo = transB ? bOff + (long) j0 * ldb : bOff + j0;
            gemm(transA, transB, mm, nn, k, a, ao, lda, b, bo, ldb, accumulate, c, cOff + (long) i0 * ldc + j0, ldc, scratch[w]);
        });
    }

    /** Whether a product this size is worth splitting over {@code pool}'s threads. */
    private static boolean splits(Parallel pool, int m, int n, int k) {
        return pool.threads() > 1 && 2L * m * n * k >= 2_000_000;
    }

    /** One output block of a split product: rows {@code [i0, i0+mm)}, columns {@code [j0, j0+nn)}, on worker {@code w}. */
    @FunctionalInterface
    private interface Block {
        void run(int i0, int j0, int mm, int nn, int w);
    }

    /**
     * Splits C ({@code m x n}) into independent blocks and runs them on {@code pool}. Split N first: a task then
     * packs only its own columns of B (A is read in place), so nothing is packed twice. Split M only when N has too
     * few panels (then each task repacks all of B, which is small). Two tasks per thread: enough to even out a late
     * thread, few enough that the operand every task packs again (A when N is split) is not copied many times
     * (8 tasks per thread: dense forward 214 vs 255 GFLOP/s). Block edges fall on MR rows and NR columns.
     */
    private static void forEachBlock(Parallel pool, int m, int n, Block body) {
        int target = pool.threads() * 2;
        int mUnits = (m + MR - 1) / MR, nUnits = (n + NR - 1) / NR;
        int nParts = Math.min(nUnits, target), mParts = 1;
        if (nParts < target) mParts = Math.min(mUnits, (target + nParts - 1) / nParts);
        int mStep = ((mUnits + mParts - 1) / mParts) * MR;
        int nStep = ((nUnits + nParts - 1) / nParts) * NR;
        int mBlocks = (m + mStep - 1) / mStep, nBlocks = (n + nStep - 1) / nStep;
        pool.forEach(mBlocks * nBlocks, (task, w) -> {
            int i0 = (task / nBlocks) * mStep, j0 = (task % nBlocks) * nStep;
            body.run(i0, j0, Math.min(mStep, m - i0), Math.min(nStep, n - j0), w);
        });
    }

    /**
     * Whether {@link #gemmPacked(Parallel, Scratch[], int, int, int, MemorySegment, long, int, MemorySegment, MemorySegment, long, int)}
     * gives {@link #gemm(Parallel, Scratch[], boolean, boolean, int, int, int, MemorySegment, long, int, MemorySegment, long, int, boolean, MemorySegment, long, int)}'s
     * bits for {@code m} rows of A: always, except where the latter reads a few rows' B in place with its own kernel.
     */
    public static boolean packedMatches(int m) { return !(m <= 2 * MRD && DIRECT_B); }

    /**
     * The parallel {@code C = A * B} (A not transposed) with B packed once by
     * {@link #packB(boolean, int, int, MemorySegment, long, int, MemorySegment)}: for a B that many calls share (a
     * layer's weights in predict). The same split and the same sums as the {@code gemm} it replaces, so the same bits
     * wherever {@link #packedMatches} says so.
     */
    public static void gemmPacked(Parallel pool, Scratch[] scratch, int m, int n, int k, MemorySegment a, long aOff, int lda,
                                  MemorySegment packedB, MemorySegment c, long cOff, int ldc) {
        if (!splits(pool, m, n, k)) {
            gemmPacked(false, m, n, k, a, aOff, lda, packedB, false, c, cOff, ldc, scratch[0]);
            return;
        }
        forEachBlock(pool, m, n, (i0, j0, mm, nn, w) ->
                gemmPacked(false, mm, nn, k, a, aOff + (long) i0 * lda, lda, packedB.asSlice((long) (j0 / NR) * k * NR * 4),
                        false, c, cOff + (long) i0 * ldc + j0, ldc, scratch[w]));
    }

    /**
     * Packs op(B)[pc:pc+kc, jc:jc+nc] into NR-wide column panels, zero-padded: panel p, row kk at
     * {@code start + (p*kc + kk)*NR}.
     */
    static void packB(boolean transB, MemorySegment b, long bOff, int ldb, int pc, int jc, int kc, int nc, MemorySegment dst, long start,
                      float[] rows) {
        if (!transB) {
            // row by row of B (contiguous in memory, so the hardware prefetcher streams it), spread over the panels
            int fullPanels = nc / NR, w = nc - fullPanels * NR;
            long panel = (long) kc * NR * 4;
            for (int kk = 0; kk < kc; kk++) {
                long src = (bOff + (long) (pc + kk) * ldb + jc) * 4;
                long d = (start + (long) kk * NR) * 4;
                for (int p = 0; p < fullPanels; p++, src += NR * 4L, d += panel) {
                    if (VECTOR) {
                        FloatVector.fromMemorySegment(S, b, src, NO).intoMemorySegment(dst, d, NO);
                        FloatVector.fromMemorySegment(S, b, src + L * 4L, NO).intoMemorySegment(dst, d + L * 4L, NO);
                    } else {
                        MemorySegment.copy(b, src, dst, d, NR * 4L);
                    }
                }
                if (w > 0) {
                    MemorySegment.copy(b, src, dst, d, w * 4L);
                    dst.asSlice(d + w * 4L, (NR - w) * 4L).fill((byte) 0);
                }
            }
            return;
        }
        for (int jp = 0; jp < nc; jp += NR) {
            int w = Math.min(NR, nc - jp);
            long base = start + (long) (jp / NR) * kc * NR;
            if (w == NR && VECTOR && kc <= KC) {
                // the panel's NR columns are NR rows of the stored B, each contiguous in k: copy them whole into
                // rows (kc floats apart), then gather one k of all NR of them per pair of vector stores
                for (int j = 0; j < NR; j++) MemorySegment.copy(b, F, (bOff + (long) (jc + jp + j) * ldb + pc) * 4, rows, j * kc, kc);
                int[] map = GATHER_MAPS[kc];
                for (int kk = 0; kk < kc; kk++) {
                    long d = (base + (long) kk * NR) * 4;
                    FloatVector.fromArray(S, rows, kk, map, 0).intoMemorySegment(dst, d, NO);
                    FloatVector.fromArray(S, rows, kk, map, L).intoMemorySegment(dst, d + L * 4L, NO);
                }
                continue;
            }
            // column j of the panel is row (jc+jp+j) of the stored B, contiguous in k: copy it whole, then spread it
            for (int j = 0; j < NR; j++) {
                if (j < w) {
                    MemorySegment.copy(b, F, (bOff + (long) (jc + jp + j) * ldb + pc) * 4, rows, 0, kc);
                    for (int kk = 0; kk < kc; kk++) dst.setAtIndex(F, base + (long) kk * NR + j, rows[kk]);
                } else {
                    for (int kk = 0; kk < kc; kk++) dst.setAtIndex(F, base + (long) kk * NR + j, 0f);
                }
            }
        }
    }

    /** Gather offsets {@code j*kc} for j in [0, NR): lane j of a gather at k reads row j, column k. */
    static int[] gatherMap(int kc) {
        int[] m = new int[NR];
        for (int j = 0; j < NR; j++) m[j] = j * kc;
        return m;
    }

    /** {@link #gatherMap} for every block length up to KC, made once (33 KB), so packing allocates nothing. */
    private static final int[][] GATHER_MAPS = new int[KC + 1][];
    static {
        for (int kc = 0; kc <= KC; kc++) GATHER_MAPS[kc] = gatherMap(kc);
    }

    /**
     * Copies op(A)[ic:ic+mc, pc:pc+kc] into {@code dst}, zero-padded to a multiple of MR rows. Without
     * {@code transA} row i is contiguous: element (i, kk) goes to {@code i*KC + kk}; with it column kk is
     * contiguous: element (i, kk) goes to {@code kk*MC + i}. Either way a whole run is one bulk copy.
     */
    static void packA(boolean transA, MemorySegment a, long aOff, int lda, int ic, int pc, int mc, int kc, float[] dst) {
        int padded = (mc + MR - 1) / MR * MR;
        if (!transA) {
            for (int i = 0; i < mc; i++) MemorySegment.copy(a, F, (aOff + (long) (ic + i) * lda + pc) * 4, dst, i * KC, kc);
            for (int i = mc; i < padded; i++) java.util.Arrays.fill(dst, i * KC, i * KC + kc, 0f);
        } else {
            for (int kk = 0; kk < kc; kk++) {
                MemorySegment.copy(a, F, (aOff + (long) (pc + kk) * lda + ic) * 4, dst, kk * MC, mc);
                if (padded > mc) java.util.Arrays.fill(dst, kk * MC + mc, kk * MC + padded, 0f);
            }
        }
    }

    /** Packs op(B)[pc:pc+kc, jc:jc+nc] (nc <= NR) into one zero-padded panel segment, for the few-rows path. */
    static void packBSegment(MemorySegment b, long bOff, int ldb, int pc, int jc, int kc, int nc, MemorySegment dst) {
        for (int kk = 0; kk < kc; kk++) {
            long src = bOff + (long) (pc + kk) * ldb + jc;
            long d = (long) kk * NR * 4;
            for (int j = 0; j < nc; j++) dst.set(F, d + j * 4L, b.get(F, (src + j) * 4));
            for (int j = nc; j < NR; j++) dst.set(F, d + j * 4L, 0f);
        }
    }

    /** Packs op(A)[ic:ic+mc, pc:pc+kc] into MRD-high row panels: panel p, column kk at (p*kc + kk)*MRD (few-rows path). */
    static void packASegment(boolean transA, MemorySegment a, long aOff, int lda, int ic, int pc, int mc, int kc, MemorySegment dst) {
        for (int ip = 0; ip < mc; ip += MRD) {
            int h = Math.min(MRD, mc - ip);
            long base = (long) (ip / MRD) * kc * MRD;
            if (!transA) {
                for (int r = 0; r < MRD; r++) {
                    if (r < h) {
                        long src = aOff + (long) (ic + ip + r) * lda + pc;
                        for (int kk = 0; kk < kc; kk++) dst.set(F, (base + (long) kk * MRD + r) * 4, a.get(F, (src + kk) * 4));
                    } else {
                        for (int kk = 0; kk < kc; kk++) dst.set(F, (base + (long) kk * MRD + r) * 4, 0f);
                    }
                }
            } else {
                for (int kk = 0; kk < kc; kk++) {
                    long src = aOff + (long) (pc + kk) * lda + ic + ip;
                    long d = (base + (long) kk * MRD) * 4;
                    for (int r = 0; r < h; r++) dst.set(F, d + r * 4L, a.get(F, (src + r) * 4));
                    for (int r = h; r < MRD; r++) dst.set(F, d + r * 4L, 0f);
                }
            }
        }
    }

    /**
     * MRD x NR micro-kernel: twelve accumulator vectors, one broadcast per row and k. The result goes
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

    /**
     * MR x NR micro-kernel over packed arrays, A packed by rows ({@code pa[aStart + r*KC + kk]}), B in a panel
     * ({@code pb[bStart + kk*NR + j]}): sixteen accumulator vectors (or two passes of eight, {@link #HALVES}), one
     * broadcast per row and k. Every index is
     * linear in {@code kk} with constant or loop-invariant parts, so C2 removes all bounds checks from the loop
     * and folds the row offsets into the addressing. The tile goes to {@code c} (straight into C, or into the
     * scratch tile for edges). (Keep the stores inline: routing them through a helper method made C2 keep the
     * accumulators boxed, 10x slower.)
     */
    static void kernelRowsA(float[] pa, int aStart, MemorySegment pb, long bStart, int kc,
                            MemorySegment c, long cByte, long ldcBytes, boolean acc) {
        if (HALVES) {
            kernelRowsA4(pa, aStart, pb, bStart, kc, c, cByte, ldcBytes, acc);
            kernelRowsA4(pa, aStart + 4 * KC, pb, bStart, kc, c, cByte + 4 * ldcBytes, ldcBytes, acc);
        } else {
            kernelRowsA8(pa, aStart, pb, bStart, kc, c, cByte, ldcBytes, acc);
        }
    }

    /** The whole MR x NR tile at once: 16 accumulators. */
    static void kernelRowsA8(float[] pa, int aStart, MemorySegment pb, long bStart, int kc,
                            MemorySegment c, long cByte, long ldcBytes, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            long bo = bStart + (long) kk * (NR * 4);
            int ao = aStart + kk;
            FloatVector b0 = FloatVector.fromMemorySegment(S, pb, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, pb, bo + L * 4, NO);
            FloatVector v = FloatVector.broadcast(S, pa[ao]);
            c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, pa[ao + KC]);
            c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, pa[ao + 2 * KC]);
            c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, pa[ao + 3 * KC]);
            c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            v = FloatVector.broadcast(S, pa[ao + 4 * KC]);
            c40 = b0.fma(v, c40); c41 = b1.fma(v, c41);
            v = FloatVector.broadcast(S, pa[ao + 5 * KC]);
            c50 = b0.fma(v, c50); c51 = b1.fma(v, c51);
            v = FloatVector.broadcast(S, pa[ao + 6 * KC]);
            c60 = b0.fma(v, c60); c61 = b1.fma(v, c61);
            v = FloatVector.broadcast(S, pa[ao + 7 * KC]);
            c70 = b0.fma(v, c70); c71 = b1.fma(v, c71);
        }
        long r = cByte;
        if (acc) {
            c00 = c00.add(FloatVector.fromMemorySegment(S, c, r, NO)); c01 = c01.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c10 = c10.add(FloatVector.fromMemorySegment(S, c, r, NO)); c11 = c11.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c20 = c20.add(FloatVector.fromMemorySegment(S, c, r, NO)); c21 = c21.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c30 = c30.add(FloatVector.fromMemorySegment(S, c, r, NO)); c31 = c31.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c40 = c40.add(FloatVector.fromMemorySegment(S, c, r, NO)); c41 = c41.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c50 = c50.add(FloatVector.fromMemorySegment(S, c, r, NO)); c51 = c51.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c60 = c60.add(FloatVector.fromMemorySegment(S, c, r, NO)); c61 = c61.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c70 = c70.add(FloatVector.fromMemorySegment(S, c, r, NO)); c71 = c71.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO));
        }
        r = cByte;
        c00.intoMemorySegment(c, r, NO); c01.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c10.intoMemorySegment(c, r, NO); c11.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c20.intoMemorySegment(c, r, NO); c21.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c30.intoMemorySegment(c, r, NO); c31.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c40.intoMemorySegment(c, r, NO); c41.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c50.intoMemorySegment(c, r, NO); c51.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c60.intoMemorySegment(c, r, NO); c61.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c70.intoMemorySegment(c, r, NO); c71.intoMemorySegment(c, r + L * 4L, NO);
    }

    /**
     * The same micro-kernel with A packed by columns ({@code pa[aStart + kk*MC + r]}, from a transposed A): the
     * eight broadcasts of one k are adjacent floats. It repeats {@link #kernelRowsA} on purpose: C2 removes the
     * bounds checks only when the index's factor on {@code kk} is a compile-time constant (1 there, MC here), so
     * one body with a stride parameter would bring the checks back; and the accumulators cannot go to a helper
     * (see above).
     */
    static void kernelColumnsA(float[] pa, int aStart, MemorySegment pb, long bStart, int kc,
                            MemorySegment c, long cByte, long ldcBytes, boolean acc) {
        if (HALVES) {
            kernelColumnsA4(pa, aStart, pb, bStart, kc, c, cByte, ldcBytes, acc);
            kernelColumnsA4(pa, aStart + 4, pb, bStart, kc, c, cByte + 4 * ldcBytes, ldcBytes, acc);
        } else {
            kernelColumnsA8(pa, aStart, pb, bStart, kc, c, cByte, ldcBytes, acc);
        }
    }

    /** The whole MR x NR tile at once: 16 accumulators. */
    static void kernelColumnsA8(float[] pa, int aStart, MemorySegment pb, long bStart, int kc,
                            MemorySegment c, long cByte, long ldcBytes, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            long bo = bStart + (long) kk * (NR * 4);
            int ao = aStart + kk * MC;
            FloatVector b0 = FloatVector.fromMemorySegment(S, pb, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, pb, bo + L * 4, NO);
            FloatVector v = FloatVector.broadcast(S, pa[ao]);
            c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, pa[ao + 1]);
            c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, pa[ao + 2]);
            c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, pa[ao + 3]);
            c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            v = FloatVector.broadcast(S, pa[ao + 4]);
            c40 = b0.fma(v, c40); c41 = b1.fma(v, c41);
            v = FloatVector.broadcast(S, pa[ao + 5]);
            c50 = b0.fma(v, c50); c51 = b1.fma(v, c51);
            v = FloatVector.broadcast(S, pa[ao + 6]);
            c60 = b0.fma(v, c60); c61 = b1.fma(v, c61);
            v = FloatVector.broadcast(S, pa[ao + 7]);
            c70 = b0.fma(v, c70); c71 = b1.fma(v, c71);
        }
        long r = cByte;
        if (acc) {
            c00 = c00.add(FloatVector.fromMemorySegment(S, c, r, NO)); c01 = c01.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c10 = c10.add(FloatVector.fromMemorySegment(S, c, r, NO)); c11 = c11.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c20 = c20.add(FloatVector.fromMemorySegment(S, c, r, NO)); c21 = c21.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c30 = c30.add(FloatVector.fromMemorySegment(S, c, r, NO)); c31 = c31.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c40 = c40.add(FloatVector.fromMemorySegment(S, c, r, NO)); c41 = c41.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c50 = c50.add(FloatVector.fromMemorySegment(S, c, r, NO)); c51 = c51.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c60 = c60.add(FloatVector.fromMemorySegment(S, c, r, NO)); c61 = c61.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c70 = c70.add(FloatVector.fromMemorySegment(S, c, r, NO)); c71 = c71.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO));
        }
        r = cByte;
        c00.intoMemorySegment(c, r, NO); c01.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c10.intoMemorySegment(c, r, NO); c11.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c20.intoMemorySegment(c, r, NO); c21.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c30.intoMemorySegment(c, r, NO); c31.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c40.intoMemorySegment(c, r, NO); c41.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c50.intoMemorySegment(c, r, NO); c51.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c60.intoMemorySegment(c, r, NO); c61.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c70.intoMemorySegment(c, r, NO); c71.intoMemorySegment(c, r + L * 4L, NO);
    }

    /** {@link #kernelRowsA} for rows {@code 0..3} of a row-packed A block from {@code aStart}: 8 accumulators (see {@link #HALVES}). */
    static void kernelRowsA4(float[] pa, int aStart, MemorySegment pb, long bStart, int kc,
                             MemorySegment c, long cByte, long ldcBytes, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            long bo = bStart + (long) kk * (NR * 4);
            int ao = aStart + kk;
            FloatVector b0 = FloatVector.fromMemorySegment(S, pb, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, pb, bo + L * 4, NO);
            FloatVector v = FloatVector.broadcast(S, pa[ao]);
            c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, pa[ao + KC]);
            c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, pa[ao + 2 * KC]);
            c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, pa[ao + 3 * KC]);
            c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
        }
        long r = cByte;
        if (acc) {
            c00 = c00.add(FloatVector.fromMemorySegment(S, c, r, NO)); c01 = c01.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c10 = c10.add(FloatVector.fromMemorySegment(S, c, r, NO)); c11 = c11.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c20 = c20.add(FloatVector.fromMemorySegment(S, c, r, NO)); c21 = c21.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c30 = c30.add(FloatVector.fromMemorySegment(S, c, r, NO)); c31 = c31.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO));
        }
        r = cByte;
        c00.intoMemorySegment(c, r, NO); c01.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c10.intoMemorySegment(c, r, NO); c11.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c20.intoMemorySegment(c, r, NO); c21.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c30.intoMemorySegment(c, r, NO); c31.intoMemorySegment(c, r + L * 4L, NO);
    }

    /** {@link #kernelColumnsA} for columns {@code 0..3} of a column-packed A block from {@code aStart}: 8 accumulators (see {@link #HALVES}). */
    static void kernelColumnsA4(float[] pa, int aStart, MemorySegment pb, long bStart, int kc,
                             MemorySegment c, long cByte, long ldcBytes, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            long bo = bStart + (long) kk * (NR * 4);
            int ao = aStart + kk * MC;
            FloatVector b0 = FloatVector.fromMemorySegment(S, pb, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, pb, bo + L * 4, NO);
            FloatVector v = FloatVector.broadcast(S, pa[ao]);
            c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, pa[ao + 1]);
            c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, pa[ao + 2]);
            c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, pa[ao + 3]);
            c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
        }
        long r = cByte;
        if (acc) {
            c00 = c00.add(FloatVector.fromMemorySegment(S, c, r, NO)); c01 = c01.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c10 = c10.add(FloatVector.fromMemorySegment(S, c, r, NO)); c11 = c11.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c20 = c20.add(FloatVector.fromMemorySegment(S, c, r, NO)); c21 = c21.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO)); r += ldcBytes;
            c30 = c30.add(FloatVector.fromMemorySegment(S, c, r, NO)); c31 = c31.add(FloatVector.fromMemorySegment(S, c, r + L * 4L, NO));
        }
        r = cByte;
        c00.intoMemorySegment(c, r, NO); c01.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c10.intoMemorySegment(c, r, NO); c11.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c20.intoMemorySegment(c, r, NO); c21.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c30.intoMemorySegment(c, r, NO); c31.intoMemorySegment(c, r + L * 4L, NO);
    }

    /** Scalar micro-kernel over packed arrays ({@code pa[aStart + r*ars + kk*aks]}), same operation order per element. */
    static void kernelScalar(float[] pa, int aStart, int ars, int aks, MemorySegment pb, long bStart, int kc,
                             MemorySegment c, long cByte, long ldcBytes, boolean acc) {
        float[] t = new float[MR * NR];
        for (int kk = 0; kk < kc; kk++) {
            for (int i = 0; i < MR; i++) {
                float av = pa[aStart + i * ars + kk * aks];
                for (int j = 0; j < NR; j++) t[i * NR + j] = Math.fma(av, pb.get(F, bStart + ((long) kk * NR + j) * 4), t[i * NR + j]);
            }
        }
        for (int i = 0; i < MR; i++) {
            for (int j = 0; j < NR; j++) {
                long o = cByte + i * ldcBytes + j * 4L;
                c.set(F, o, acc ? c.get(F, o) + t[i * NR + j] : t[i * NR + j]);
            }
        }
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
    static void kernelScalarSegment(MemorySegment pa, long paOff, long rs, long ks, MemorySegment pb, long pbOff, long bks, int kc,
                             MemorySegment c, long cByte, int ldc, int mr, int nr, boolean acc) {
        float[] t = new float[MRD * NR];
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
