package dev.panamacnn.ops;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.panamacnn.ops.Gemm.L;
import static dev.panamacnn.ops.Gemm.NO;
import static dev.panamacnn.ops.Gemm.S;

/**
 * A 5 x 5, stride-1 convolution forward as Winograd's F(4x4, 5x5): each 8 x 8 input tile gives a
 * 4 x 4 output tile with 64 multiplications per (input channel, filter) pair instead of 400, 6.25x fewer multiply-adds
 * than the direct product and 2.25x fewer than {@link Winograd}'s F(2x2, 5x5). The work is 64 GEMMs
 * ({@code tiles x C} by {@code C x F}), one per position of the transformed tile, on {@link Gemm}'s micro-kernel.
 *
 * <p>{@code Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A} with the interpolation points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity
 * (solved exactly from the correlation identity; {@code Winograd4Test} checks the matrices against the direct sum):
 * <pre>
 *   Bᵀ = [1    0 -21/4     0  21/4     0 -1 0]   Aᵀ = [1 1  1 1  1   1    1   0]
 *        [0    1     1 -17/4 -17/4     1  1 0]        [0 1 -1 2 -2 1/2 -1/2   0]
 *        [0   -1     1  17/4 -17/4    -1  1 0]        [0 1  1 4  4 1/4  1/4   0]
 *        [0  1/2   1/4  -5/2  -5/4     2  1 0]        [0 1 -1 8 -8 1/8 -1/8   1]
 *        [0 -1/2   1/4   5/2  -5/4    -2  1 0]
 *        [0    2     4  -5/2    -5   1/2  1 0]   G: row j of the points' Lagrange basis, p_j^k / prod_{l != j}(p_j - p_l)
 *        [0   -2     4   5/2    -5  -1/2  1 0]      for the seven finite points (the first row's sign flipped with Bᵀ's),
 *        [0   -1     0  21/4     0 -21/4  0 1]      and [0 0 0 0 1] for infinity ({@link #G})
 * </pre>
 * The input transform scales values by up to 15 per side (the largest row sum of |Bᵀ|), so the outputs carry a larger
 * rounding error than F(2x2, 5x5)'s: up to ~8e-7 of the sum of the absolute terms on random data ({@code Winograd4Test}
 * bounds it at 5e-6), and 3-5e-6 on the tutorial's output probabilities (docs/performance.md). {@code Conv2D} runs its forward pass on it in inference and in
 * Winograd training, and training's input gradient as the same transform over the zero-bordered output gradient
 * and the turned kernel ({@code -Dpanamacnn.winograd4}, see {@link dev.panamacnn.runtime.Flags#winograd4()}), and the
 * kernel gradient as F(5x5, 4x4) over the same input tiles ({@link Plan#kernelGradient};
 * {@code -Dpanamacnn.winograd4.kernelGradient=false} keeps it on {@link Winograd}'s F(5x5, 2x2)).
 *
 * <p>Vectors run along the channels (input transform) and the filters (output transform). Every output depends only
 * on its own tile and a GEMM row's bits do not depend on the rows beside it, so results depend only on the data,
 * never on the batch size, the tile split or the thread count.
 */
public final class Winograd4 {
    private Winograd4() {}

    /** Positions of the transformed tile. */
    public static final int POS = 64;
    /** Floats between consecutive planes beyond their data (off a power of two, as in {@link Winograd}). */
    private static final int PLANE_PAD = 16;
    /** Register-tile row blocks ({@link Gemm#MR} tiles each) per pass of the 64 products (batch 1000: two and four blocks were no faster, docs/performance.md). */
    static final int GROUP = 1;
    private static final int V_PLANE = GROUP * Gemm.MR * Gemm.KC + PLANE_PAD;

    /** The kernel transform, rows for the points 0, 1, -1, 2, -2, 1/2, -1/2, infinity. */
    static final double[][] G = {
            {1, 0, 0, 0, 0},
            {-2 / 9.0, -2 / 9.0, -2 / 9.0, -2 / 9.0, -2 / 9.0},
            {-2 / 9.0, 2 / 9.0, -2 / 9.0, 2 / 9.0, -2 / 9.0},
            {1 / 90.0, 1 / 45.0, 2 / 45.0, 4 / 45.0, 8 / 45.0},
            {1 / 90.0, -1 / 45.0, 2 / 45.0, -4 / 45.0, 8 / 45.0},
            {32 / 45.0, 16 / 45.0, 8 / 45.0, 4 / 45.0, 2 / 45.0},
            {32 / 45.0, -16 / 45.0, 8 / 45.0, -4 / 45.0, 2 / 45.0},
            {0, 0, 0, 0, 1}};
    /** {@link #G} rounded to float, for the kernel transform. */
    private static final float[][] GF = new float[8][5];
    static {
        for (int a = 0; a < 8; a++) for (int k = 0; k < 5; k++) GF[a][k] = (float) G[a][k];
    }
    /** Bᵀ and Aᵀ as matrices, for the scalar reference ({@link #tileScalar}); the kernels write them out. */
    static final double[][] BT = {
            {1, 0, -21 / 4.0, 0, 21 / 4.0, 0, -1, 0},
            {0, 1, 1, -17 / 4.0, -17 / 4.0, 1, 1, 0},
            {0, -1, 1, 17 / 4.0, -17 / 4.0, -1, 1, 0},
            {0, 1 / 2.0, 1 / 4.0, -5 / 2.0, -5 / 4.0, 2, 1, 0},
            {0, -1 / 2.0, 1 / 4.0, 5 / 2.0, -5 / 4.0, -2, 1, 0},
            {0, 2, 4, -5 / 2.0, -5, 1 / 2.0, 1, 0},
            {0, -2, 4, 5 / 2.0, -5, -1 / 2.0, 1, 0},
            {0, -1, 0, 21 / 4.0, 0, -21 / 4.0, 0, 1}};
    static final double[][] AT = {
            {1, 1, 1, 1, 1, 1, 1, 0},
            {0, 1, -1, 2, -2, 1 / 2.0, -1 / 2.0, 0},
            {0, 1, 1, 4, 4, 1 / 4.0, 1 / 4.0, 0},
            {0, 1, -1, 8, -8, 1 / 8.0, -1 / 8.0, 1}};

    /** Whether this path handles a convolution: 5 x 5, stride 1, output sides multiples of 4, C within one K block and a multiple of the vector length, F whole B panels. */
    public static boolean applies(int kh, int kw, int sh, int sw, int oh, int ow, int c, int f) {
        return Gemm.VECTOR && kh == 5 && kw == 5 && sh == 1 && sw == 1 && oh % 4 == 0 && ow % 4 == 0 && oh > 0 && ow > 0
                && c % L == 0 && c <= Gemm.KC && f % Gemm.NR == 0;
    }

    /** A layer's workspace: the transformed kernel (64 packed {@code C x F} matrices) and, per worker, V, M and scratch. */
    public static final class Plan {
        final int c, f, oh, ow, tilesY, tilesX;
        final MemorySegment kernel64;
        final MemorySegment[] packed = new MemorySegment[POS];
        /** Per worker: V (GROUP x eight tiles, row r of position q at {@code q V_PLANE + r KC}), M, and the transforms' scratch. */
        final float[][] v, tmp;
        final MemorySegment[] m;
        private final float[] kernelTmp = new float[8 * 5 * L];
        /** The forward's V: position q of a tile's vector at {@code q V_PLANE} from its row. */
        private static final int[] FORWARD_POSITIONS = new int[POS];
        static {
            for (int q = 0; q < POS; q++) FORWARD_POSITIONS[q] = q * V_PLANE;
        }
        /** For {@link #kernelGradient} (null when not planned for it): per worker, one block of tiles' V and U; where position q's V column starts in a block. */
        final float[][] gradV;
        final MemorySegment[] gradU;
        private final int[] gradPositions;
        private final float[] finishTmp = new float[8 * 5 * L];

        /** For a {@code c -> f} convolution with output {@code oh x ow}, on {@code workers} threads: the forward pass only. */
        public Plan(Arena arena, int c, int f, int oh, int ow, int workers) {
            this(arena, c, f, oh, ow, workers, false);
        }

        /**
         * As {@link #Plan(Arena, int, int, int, int, int)}, with the workspace of {@link #kernelGradient} too when
         * {@code kernelGradient} (which then must {@link #gradientApplies apply}).
         */
        public Plan(Arena arena, int c, int f, int oh, int ow, int workers, boolean kernelGradient) {
            if (!applies(5, 5, 1, 1, oh, ow, c, f)) throw new IllegalArgumentException("F(4x4, 5x5) does not apply: C=" + c + " F=" + f + " output " + oh + "x" + ow);
            if (kernelGradient && !gradientApplies(c, f)) throw new IllegalArgumentException("the F(5x5, 4x4) kernel gradient needs C <= " + Gemm.MC + ", C % " + Gemm.MR + " == 0: C=" + c);
            this.c = c; this.f = f; this.oh = oh; this.ow = ow;
            tilesY = oh / 4; tilesX = ow / 4;
            kernel64 = dev.panamacnn.tensor.Tensor.allocateFloats(arena, (long) POS * c * f);
            int ps = Gemm.packedSize(c, f);
            MemorySegment all = dev.panamacnn.tensor.Tensor.allocateFloats(arena, (long) POS * ps);
            for (int p = 0; p < POS; p++) packed[p] = all.asSlice((long) p * ps * 4, (long) ps * 4);
            v = new float[workers][];
            tmp = new float[workers][Math.max(32, 8 * (ow + 4)) * L];
            m = new MemorySegment[workers];
            for (int i = 0; i < workers; i++) {
                v[i] = new float[POS * V_PLANE];
                m[i] = dev.panamacnn.tensor.Tensor.allocateFloats(arena, POS * ((long) GROUP * Gemm.MR * f + PLANE_PAD));
            }
            if (kernelGradient) {
                int perBlock = Gemm.MC / c;
                gradPositions = new int[POS];
                for (int q = 0; q < POS; q++) gradPositions[q] = (q / perBlock) * vBlock() + (q % perBlock) * c;
                gradV = new float[workers][(POS + perBlock - 1) / perBlock * vBlock()];
                gradU = new MemorySegment[workers];
                for (int i = 0; i < workers; i++) gradU[i] = dev.panamacnn.tensor.Tensor.allocateFloats(arena, POS * uPosition());
            } else {
                gradPositions = null;
                gradV = null;
                gradU = null;
            }
        }

        /** Tiles per sample. */
        public int tilesPerSample() { return tilesY * tilesX; }

        /**
         * {@code U = G g Gᵀ} for every (input channel, filter) pair of the HWIO kernel at float {@code off} of
         * {@code params}, packed for the 64 GEMMs; vectors along the filters. Once per weights version in inference,
         * once per step for training's input gradient.
         */
        public void transformKernel(MemorySegment params, long off) {
            float[] t = kernelTmp;
            long cf = (long) c * f;
            for (int ci = 0; ci < c; ci++) {
                for (int fo = 0; fo < f; fo += L) {
                    long g = off + (long) ci * f + fo;
                    // t[a][kx] = sum_ky G[a][ky] g[ky][kx]
                    for (int kx = 0; kx < 5; kx++) {
                        FloatVector g0 = load(params, g + kx * cf), g1 = load(params, g + (5 + kx) * cf), g2 = load(params, g + (10 + kx) * cf),
                                g3 = load(params, g + (15 + kx) * cf), g4 = load(params, g + (20 + kx) * cf);
                        for (int a = 0; a < 8; a++) {
                            float[] ga = GF[a];
                            g0.mul(ga[0]).add(g1.mul(ga[1])).add(g2.mul(ga[2])).add(g3.mul(ga[3])).add(g4.mul(ga[4])).intoArray(t, (a * 5 + kx) * L);
                        }
                    }
                    // u[a][b] = sum_kx t[a][kx] G[b][kx]
                    for (int a = 0; a < 8; a++) {
                        FloatVector t0 = FloatVector.fromArray(S, t, (a * 5) * L), t1 = FloatVector.fromArray(S, t, (a * 5 + 1) * L),
                                t2 = FloatVector.fromArray(S, t, (a * 5 + 2) * L), t3 = FloatVector.fromArray(S, t, (a * 5 + 3) * L),
                                t4 = FloatVector.fromArray(S, t, (a * 5 + 4) * L);
                        for (int b = 0; b < 8; b++) {
                            float[] gb = GF[b];
                            t0.mul(gb[0]).add(t1.mul(gb[1])).add(t2.mul(gb[2])).add(t3.mul(gb[3])).add(t4.mul(gb[4]))
                                    .intoMemorySegment(kernel64, ((a * 8 + b) * cf + (long) ci * f + fo) * 4, NO);
                        }
                    }
                }
            }
            for (int p = 0; p < POS; p++) Gemm.packB(false, c, f, kernel64, p * cf, f, packed[p]);
        }

        /**
         * {@link #transformKernel} in scalar code on heap copies: the same operations in the same order per element,
         * so the same bits. For a kernel transformed once per weights version (predict): a one-image {@code predict}
         * runs on C1 alone, where the Vector API is not compiled to vector instructions and the vector version costs
         * about 0.1 s (docs/performance.md).
         */
        public void transformKernelScalar(MemorySegment params, long off) {
            int cf = c * f;
            float[] g = new float[25 * cf], u = new float[POS * cf];
            MemorySegment.copy(params, Gemm.F, off * 4, g, 0, g.length);
            float[] t = new float[8 * 5];
            for (int ci = 0; ci < c; ci++) {
                for (int fo = 0; fo < f; fo++) {
                    int o = ci * f + fo;
                    for (int kx = 0; kx < 5; kx++) {
                        float g0 = g[kx * cf + o], g1 = g[(5 + kx) * cf + o], g2 = g[(10 + kx) * cf + o], g3 = g[(15 + kx) * cf + o], g4 = g[(20 + kx) * cf + o];
                        for (int a = 0; a < 8; a++) {
                            float[] ga = GF[a];
                            t[a * 5 + kx] = g0 * ga[0] + g1 * ga[1] + g2 * ga[2] + g3 * ga[3] + g4 * ga[4];
                        }
                    }
                    for (int a = 0; a < 8; a++) {
                        float t0 = t[a * 5], t1 = t[a * 5 + 1], t2 = t[a * 5 + 2], t3 = t[a * 5 + 3], t4 = t[a * 5 + 4];
                        for (int b = 0; b < 8; b++) {
                            float[] gb = GF[b];
                            u[(a * 8 + b) * cf + o] = t0 * gb[0] + t1 * gb[1] + t2 * gb[2] + t3 * gb[3] + t4 * gb[4];
                        }
                    }
                }
            }
            MemorySegment.copy(u, 0, kernel64, Gemm.F, 0, u.length);
            for (int p = 0; p < POS; p++) Gemm.packB(false, c, f, kernel64, (long) p * cf, f, packed[p]);
        }

        /**
         * Outputs of tiles {@code [t0, t1)}, tiles numbered (sample, tile row, tile column) from the samples at
         * {@code inOff} ({@code h x w x c} each, valid padding) and {@code outOff} ({@code oh x ow x f} each), on worker
         * {@code wk}'s buffers: the pre-activations without bias when {@code bias} is null, else plus the bias at float
         * {@code biasOff}, through ReLU when {@code relu}. Disjoint ranges can run on different workers.
         */
        public void forwardTiles(MemorySegment in, long inOff, int h, int w, int t0, int t1, MemorySegment out, long outOff,
                                 MemorySegment bias, long biasOff, boolean relu, int wk) {
            float[] va = v[wk], t = tmp[wk];
            MemorySegment mm = m[wk];
            long mPlane = (long) GROUP * Gemm.MR * f + PLANE_PAD, ldc = (long) f * 4;
            int panels = f / Gemm.NR;
            for (int b0 = t0; b0 < t1; b0 += GROUP * Gemm.MR) {
                int b1 = Math.min(t1, b0 + GROUP * Gemm.MR), n = b1 - b0;
                int full = n / Gemm.MR, half = n - full * Gemm.MR <= 4 && n % Gemm.MR != 0 ? 1 : 0;
                int blocks = (n + Gemm.MR - 1) / Gemm.MR;
                transformInput(in, inOff, h, w, b0, b1, va, t);
                for (int p = 0; p < POS; p++) {
                    for (int j = 0; j < panels; j++) {
                        long bj = (long) j * c * Gemm.NR * 4;
                        for (int r = 0; r < blocks; r++) {
                            int ao = p * V_PLANE + r * Gemm.MR * Gemm.KC;
                            long co = (p * mPlane + (long) r * Gemm.MR * f + (long) j * Gemm.NR) * 4;
                            // a last block of at most four tiles (a lone sample's four) needs only the 4-row kernel: the
                            // same operations in the same order on each row, so the same bits
                            if (half == 1 && r == full) Gemm.kernelRowsA4(va, ao, packed[p], bj, c, mm, co, ldc, false);
                            else Gemm.kernelRowsA(va, ao, packed[p], bj, c, mm, co, ldc, false);
                        }
                    }
                }
                transformOutput(mm, mPlane, b0, b1, out, outOff, bias, biasOff, relu, t);
            }
        }

        /** V of tiles {@code [t0, t1)}: the column pass once per column of a tile row (side-by-side tiles overlap by four columns), then each tile's row pass. */
        private void transformInput(MemorySegment in, long inOff, int h, int w, int t0, int t1, float[] va, float[] t) {
            long px = c, line = (long) w * c;
            int perSample = tilesY * tilesX, tw = ow + 4;
            for (int tt = t0; tt < t1; ) {
                int s = tt / perSample, rem = tt - s * perSample, ty = rem / tilesX, tx0 = rem - ty * tilesX;
                int n = Math.min(tilesX - tx0, t1 - tt), cols = 4 * n + 4;
                long first = inOff + (long) s * h * w * c + (4L * ty) * line + (4L * tx0) * px;
                for (int ci = 0; ci < c; ci += L) {
                    columnPass(in, first + ci, line, px, cols, tw, t);
                    for (int k = 0; k < n; k++) rowPass(t, 4 * k, tw, va, (tt - t0 + k) * Gemm.KC + ci, FORWARD_POSITIONS);
                }
                tt += n;
            }
        }

        /**
         * {@code t[(i w + x) L ..] = (Bᵀ d)[i][x]} for columns {@code x < cols} from float {@code o} of {@code in}.
         * {@link #rowPass} repeats the same eight lines of {@code Bᵀ} on its own loads and stores: written as one helper
         * taking the eight vectors (and a small helper for {@code x k + y}), C2 fell back to the Vector API's Java code (the
         * layer took 20 ms per 1000 images against 10 ms with F(2x2, 5x5); written out, 6 ms). {@link #transformOutput}'s
         * two passes of {@code Aᵀ} are written out for the same reason.
         */
        private static void columnPass(MemorySegment in, long o, long line, long px, int cols, int w, float[] t) {
            for (int x = 0; x < cols; x++, o += px) {
                FloatVector d0 = load(in, o), d1 = load(in, o + line), d2 = load(in, o + 2 * line), d3 = load(in, o + 3 * line),
                        d4 = load(in, o + 4 * line), d5 = load(in, o + 5 * line), d6 = load(in, o + 6 * line), d7 = load(in, o + 7 * line);
                int r = x * L, st = w * L;
                d4.sub(d2).mul(5.25f).add(d0.sub(d6)).intoArray(t, r);
                FloatVector a = d2.add(d6).sub(d4.mul(4.25f)), b = d1.add(d5).sub(d3.mul(4.25f));
                a.add(b).intoArray(t, r + 1 * st);
                a.sub(b).intoArray(t, r + 2 * st);
                a = d2.mul(0.25f).add(d6).sub(d4.mul(1.25f));
                b = d1.mul(0.5f).add(d5.mul(2f)).sub(d3.mul(2.5f));
                a.add(b).intoArray(t, r + 3 * st);
                a.sub(b).intoArray(t, r + 4 * st);
                a = d2.mul(4f).add(d6).sub(d4.mul(5f));
                b = d1.mul(2f).add(d5.mul(0.5f)).sub(d3.mul(2.5f));
                a.add(b).intoArray(t, r + 5 * st);
                a.sub(b).intoArray(t, r + 6 * st);
                d3.sub(d5).mul(5.25f).add(d7.sub(d1)).intoArray(t, r + 7 * st);
            }
        }

        /**
         * One tile's row pass over columns {@code [x0, x0 + 8)} of {@link #columnPass}'s {@code t}: position q to float
         * {@code base + at[q]} of {@code va} (the forward's planes, or the kernel gradient's A columns).
         */
        private static void rowPass(float[] t, int x0, int w, float[] va, int base, int[] at) {
            for (int i = 0; i < 8; i++) {
                int r = (i * w + x0) * L, q = 8 * i;
                FloatVector d0 = FloatVector.fromArray(S, t, r), d1 = FloatVector.fromArray(S, t, r + L),
                        d2 = FloatVector.fromArray(S, t, r + 2 * L), d3 = FloatVector.fromArray(S, t, r + 3 * L),
                        d4 = FloatVector.fromArray(S, t, r + 4 * L), d5 = FloatVector.fromArray(S, t, r + 5 * L),
                        d6 = FloatVector.fromArray(S, t, r + 6 * L), d7 = FloatVector.fromArray(S, t, r + 7 * L);
                d4.sub(d2).mul(5.25f).add(d0.sub(d6)).intoArray(va, base + at[q]);
                FloatVector a = d2.add(d6).sub(d4.mul(4.25f)), b = d1.add(d5).sub(d3.mul(4.25f));
                a.add(b).intoArray(va, base + at[q + 1]);
                a.sub(b).intoArray(va, base + at[q + 2]);
                a = d2.mul(0.25f).add(d6).sub(d4.mul(1.25f));
                b = d1.mul(0.5f).add(d5.mul(2f)).sub(d3.mul(2.5f));
                a.add(b).intoArray(va, base + at[q + 3]);
                a.sub(b).intoArray(va, base + at[q + 4]);
                a = d2.mul(4f).add(d6).sub(d4.mul(5f));
                b = d1.mul(2f).add(d5.mul(0.5f)).sub(d3.mul(2.5f));
                a.add(b).intoArray(va, base + at[q + 5]);
                a.sub(b).intoArray(va, base + at[q + 6]);
                d3.sub(d5).mul(5.25f).add(d7.sub(d1)).intoArray(va, base + at[q + 7]);
            }
        }

        /** Y = Aᵀ M A of tiles {@code [from, to)} (row {@code t - from} of M), written to their 4 x 4 output pixels. */
        private void transformOutput(MemorySegment mm, long plane, int from, int to, MemorySegment out, long outOff,
                                     MemorySegment bias, long biasOff, boolean relu, float[] s) {
            long outSample = (long) oh * ow * f, line = (long) ow * f;
            int perSample = tilesY * tilesX;
            FloatVector z = FloatVector.zero(S);
            for (int tt = from; tt < to; tt++) {
                int smp = tt / perSample, rem = tt - smp * perSample, ty = rem / tilesX, tx = rem - ty * tilesX, row = tt - from;
                long y0 = outOff + smp * outSample + (4L * ty) * line + 4L * tx * f;
                for (int fo = 0; fo < f; fo += L) {
                    long o = (long) row * f + fo;
                    // column pass: s[a][j] = sum_i Aᵀ[a][i] M[i][j]
                    for (int j = 0; j < 8; j++) {
                        FloatVector m0 = load(mm, o + j * plane), m1 = load(mm, o + (8 + j) * plane), m2 = load(mm, o + (16 + j) * plane),
                                m3 = load(mm, o + (24 + j) * plane), m4 = load(mm, o + (32 + j) * plane), m5 = load(mm, o + (40 + j) * plane),
                                m6 = load(mm, o + (48 + j) * plane), m7 = load(mm, o + (56 + j) * plane);
                        FloatVector p12 = m1.add(m2), d12 = m1.sub(m2), p34 = m3.add(m4), d34 = m3.sub(m4), p56 = m5.add(m6), d56 = m5.sub(m6);
                        m0.add(p12).add(p34).add(p56).intoArray(s, j * L);
                        d12.add(d34.mul(2f)).add(d56.mul(0.5f)).intoArray(s, (8 + j) * L);
                        p12.add(p34.mul(4f)).add(p56.mul(0.25f)).intoArray(s, (16 + j) * L);
                        d12.add(d34.mul(8f)).add(d56.mul(0.125f)).add(m7).intoArray(s, (24 + j) * L);
                    }
                    FloatVector bv = bias == null ? z : load(bias, biasOff + fo);
                    // row pass: y[a][b] = sum_j s[a][j] A[j][b]
                    for (int a = 0; a < 4; a++) {
                        int r = a * 8 * L;
                        FloatVector m0 = FloatVector.fromArray(S, s, r), m1 = FloatVector.fromArray(S, s, r + L),
                                m2 = FloatVector.fromArray(S, s, r + 2 * L), m3 = FloatVector.fromArray(S, s, r + 3 * L),
                                m4 = FloatVector.fromArray(S, s, r + 4 * L), m5 = FloatVector.fromArray(S, s, r + 5 * L),
                                m6 = FloatVector.fromArray(S, s, r + 6 * L), m7 = FloatVector.fromArray(S, s, r + 7 * L);
                        FloatVector p12 = m1.add(m2), d12 = m1.sub(m2), p34 = m3.add(m4), d34 = m3.sub(m4), p56 = m5.add(m6), d56 = m5.sub(m6);
                        FloatVector q0 = m0.add(p12).add(p34).add(p56);
                        FloatVector q1 = d12.add(d34.mul(2f)).add(d56.mul(0.5f));
                        FloatVector q2 = p12.add(p34.mul(4f)).add(p56.mul(0.25f));
                        FloatVector q3 = d12.add(d34.mul(8f)).add(d56.mul(0.125f)).add(m7);
                        if (bias != null) {
                            q0 = q0.add(bv); q1 = q1.add(bv); q2 = q2.add(bv); q3 = q3.add(bv);
                            if (relu) { q0 = q0.max(z); q1 = q1.max(z); q2 = q2.max(z); q3 = q3.max(z); }
                        }
                        long y = (y0 + a * line + fo) * 4;
                        q0.intoMemorySegment(out, y, NO);
                        q1.intoMemorySegment(out, y + (long) f * 4, NO);
                        q2.intoMemorySegment(out, y + 2L * f * 4, NO);
                        q3.intoMemorySegment(out, y + 3L * f * 4, NO);
                    }
                }
            }
        }


        /** Whether {@link #kernelGradient} can run for {@code c -> f}: besides {@link #applies}, the channels fit one A block of the micro-kernel ({@code C <= MC}, {@code C % MR == 0}). */
        public static boolean gradientApplies(int c, int f) { return c <= Gemm.MC && c % Gemm.MR == 0 && f % Gemm.NR == 0; }

        /** Tiles per block of {@link #kernelGradient}. */
        public static final int GRAD_TILES = Winograd.Plan.GRAD_TILES;   // the shared position GEMMs' U layout

        /** Floats from one group of positions' V columns to the next's, and from one position's U panels to the next's (off a power of two, as in {@link Winograd}). */
        private int vBlock() { return GRAD_TILES * Gemm.MC + PLANE_PAD; }
        private long uPosition() { return (long) (f / Gemm.NR) * GRAD_TILES * Gemm.NR + PLANE_PAD; }

        /** Floats of the 64 sums of {@link #kernelGradient}: {@code 64 x C x F}, position p's {@code C x F} at {@code p C F}. */
        public long sumsSize() { return (long) POS * c * f; }

        /**
         * The kernel gradient as F(5x5, 4x4), the forward algorithm transposed: the 5 x 5 kernel gradient of a tile is the
         * correlation of its 8 x 8 input with its 4 x 4 output gradient, so with {@code V = Bᵀ d B} (the forward's
         * input transform of the same tiles) and {@code U = A dy Aᵀ}, {@code dW = Gᵀ [Σ over tiles of V ⊙ U] G}; over the
         * channel pairs the sums are 64 products {@code (C x tiles) by (tiles x F)}: 256 multiply-adds per (channel,
         * filter) pair and tile of 16 outputs, against F(5x5, 2x2)'s 4 x 36 = 576 and the direct sum's 400. This adds the
         * {@code cnt} samples at float {@code inOff} of {@code in} ({@code h x w x c} each, valid padding), with their
         * pre-activation gradients at float {@code dOutOff} of {@code dOut} ({@code oh x ow x f} each), to the sums
         * ({@link #sumsSize} floats) at float {@code sumsOff} of {@code sums}, which it first clears unless
         * {@code accumulate}; {@code wk} picks the worker's scratch. Linear: sums of several calls, added in a fixed
         * order and turned into the gradient once by {@link #finishKernelGradient}, give the gradient of all their tiles.
         *
         * <p>Tiles go in blocks of {@link #GRAD_TILES}, V and U written straight in the layouts {@link Gemm#kernelColumnsA}
         * reads, as in {@link Winograd.Plan#kernelGradient}. Sums run in tile order: the result depends only on the
         * samples and how they are chunked, never on the thread count.
         */
        public void kernelGradient(MemorySegment in, long inOff, int cnt, int h, int w, MemorySegment dOut, long dOutOff,
                                   MemorySegment sums, long sumsOff, boolean accumulate, int wk) {
            if (gradV == null) throw new IllegalStateException("this F(4x4, 5x5) plan was made without the kernel gradient's workspace");
            int tiles = cnt * tilesY * tilesX;
            float[] va = gradV[wk], t = tmp[wk];
            MemorySegment ub = gradU[wk];
            for (int t0 = 0; t0 < tiles; t0 += GRAD_TILES) {
                int tb = Math.min(GRAD_TILES, tiles - t0);
                boolean acc = accumulate || t0 > 0;
                transformInputBlock(in, inOff, h, w, t0, tb, va, t);
                transformGradientBlock(dOut, dOutOff, t0, tb, ub, t);
                Winograd.Plan.positionGemms(POS, Gemm.MC / c, vBlock(), va, ub, uPosition(), tb, c, f, sums, sumsOff, acc);
            }
        }

        /** V of tiles {@code [t0, t0 + tb)} for the kernel gradient: position p, channel ci of tile t at {@code gradPositions[p] + (t - t0) MC + ci}. */
        private void transformInputBlock(MemorySegment in, long inOff, int h, int w, int t0, int tb, float[] va, float[] t) {
            long px = c, line = (long) w * c;
            int perSample = tilesY * tilesX, tw = ow + 4;
            for (int tt = t0; tt < t0 + tb; ) {
                int s = tt / perSample, rem = tt - s * perSample, ty = rem / tilesX, tx0 = rem - ty * tilesX;
                int n = Math.min(tilesX - tx0, t0 + tb - tt), cols = 4 * n + 4;
                long first = inOff + (long) s * h * w * c + (4L * ty) * line + (4L * tx0) * px;
                for (int ci = 0; ci < c; ci += L) {
                    columnPass(in, first + ci, line, px, cols, tw, t);
                    for (int k = 0; k < n; k++) rowPass(t, 4 * k, tw, va, (tt - t0 + k) * Gemm.MC + ci, gradPositions);
                }
                tt += n;
            }
        }

        /**
         * U = A dy Aᵀ of tiles {@code [t0, t0 + tb)} (each 4 x 4 block of the output gradient): position p, filter fo of
         * tile t at float {@code p uPosition + ((fo / NR) GRAD_TILES + t - t0) NR + fo % NR} of {@code ub}. Row a of A
         * is {@code (1, 1, 1, 1, 1, 1, 1, 0)} times the a-th powers of the points: the combinations below, the columns'
         * into {@code s} first ({@code s[a][j]}), then the rows'.
         */
        private void transformGradientBlock(MemorySegment dOut, long dOutOff, int t0, int tb, MemorySegment ub, float[] s) {
            long outSample = (long) oh * ow * f, line = (long) ow * f;
            int perSample = tilesY * tilesX;
            long pb = uPosition() * 4;   // bytes from one position's panels to the next's
            for (int tt = t0; tt < t0 + tb; tt++) {
                int smp = tt / perSample, rem = tt - smp * perSample, ty = rem / tilesX, tx = rem - ty * tilesX;
                long y0 = dOutOff + smp * outSample + (4L * ty) * line + 4L * tx * f;
                for (int fo = 0; fo < f; fo += L) {
                    // column pass: s[a][j] = sum_i A[a][i] dy[i][j]
                    for (int j = 0; j < 4; j++) {
                        long o = y0 + (long) j * f + fo;
                        FloatVector x0 = load(dOut, o), x1 = load(dOut, o + line), x2 = load(dOut, o + 2 * line), x3 = load(dOut, o + 3 * line);
                        FloatVector e = x0.add(x2), d = x1.add(x3);
                        x0.intoArray(s, j * L);
                        e.add(d).intoArray(s, (4 + j) * L);
                        e.sub(d).intoArray(s, (8 + j) * L);
                        e = x0.add(x2.mul(4f));
                        d = x1.mul(2f).add(x3.mul(8f));
                        e.add(d).intoArray(s, (12 + j) * L);
                        e.sub(d).intoArray(s, (16 + j) * L);
                        e = x0.add(x2.mul(0.25f));
                        d = x1.mul(0.5f).add(x3.mul(0.125f));
                        e.add(d).intoArray(s, (20 + j) * L);
                        e.sub(d).intoArray(s, (24 + j) * L);
                        x3.intoArray(s, (28 + j) * L);
                    }
                    // row pass: u[a][b] = sum_j s[a][j] A[b][j]
                    long o = (((long) (fo / Gemm.NR) * GRAD_TILES + (tt - t0)) * Gemm.NR + fo % Gemm.NR) * 4;
                    for (int a = 0; a < 8; a++, o += 8 * pb) {
                        FloatVector x0 = FloatVector.fromArray(S, s, (4 * a) * L), x1 = FloatVector.fromArray(S, s, (4 * a + 1) * L),
                                x2 = FloatVector.fromArray(S, s, (4 * a + 2) * L), x3 = FloatVector.fromArray(S, s, (4 * a + 3) * L);
                        FloatVector e = x0.add(x2), d = x1.add(x3);
                        x0.intoMemorySegment(ub, o, NO);
                        e.add(d).intoMemorySegment(ub, o + pb, NO);
                        e.sub(d).intoMemorySegment(ub, o + 2 * pb, NO);
                        e = x0.add(x2.mul(4f));
                        d = x1.mul(2f).add(x3.mul(8f));
                        e.add(d).intoMemorySegment(ub, o + 3 * pb, NO);
                        e.sub(d).intoMemorySegment(ub, o + 4 * pb, NO);
                        e = x0.add(x2.mul(0.25f));
                        d = x1.mul(0.5f).add(x3.mul(0.125f));
                        e.add(d).intoMemorySegment(ub, o + 5 * pb, NO);
                        e.sub(d).intoMemorySegment(ub, o + 6 * pb, NO);
                        x3.intoMemorySegment(ub, o + 7 * pb, NO);
                    }
                }
            }
        }

        /**
         * {@code dW = Gᵀ S G} of the sums at float {@code sumsOff} of {@code sums}, written (not added) in HWIO order
         * ({@code 5 x 5 x c x f}) at float {@code off} of {@code dst}. One thread at a time (it has one scratch).
         */
        public void finishKernelGradient(MemorySegment sums, long sumsOff, MemorySegment dst, long off) {
            float[] t = finishTmp;   // t[a][kx], 8 x 5 vectors
            long cf = (long) c * f;
            for (int ci = 0; ci < c; ci++) {
                for (int fo = 0; fo < f; fo += L) {
                    long o = sumsOff + (long) ci * f + fo;
                    // t[a][kx] = sum_b S[a][b] G[b][kx]
                    for (int a = 0; a < 8; a++) {
                        long r = a * 8L * cf + o;
                        FloatVector s0 = load(sums, r), s1 = load(sums, r + cf), s2 = load(sums, r + 2 * cf), s3 = load(sums, r + 3 * cf),
                                s4 = load(sums, r + 4 * cf), s5 = load(sums, r + 5 * cf), s6 = load(sums, r + 6 * cf), s7 = load(sums, r + 7 * cf);
                        for (int kx = 0; kx < 5; kx++) {
                            s0.mul(GF[0][kx]).add(s1.mul(GF[1][kx])).add(s2.mul(GF[2][kx])).add(s3.mul(GF[3][kx]))
                                    .add(s4.mul(GF[4][kx])).add(s5.mul(GF[5][kx])).add(s6.mul(GF[6][kx])).add(s7.mul(GF[7][kx]))
                                    .intoArray(t, (a * 5 + kx) * L);
                        }
                    }
                    // dW[ky][kx] = sum_a G[a][ky] t[a][kx]
                    for (int kx = 0; kx < 5; kx++) {
                        FloatVector t0 = FloatVector.fromArray(S, t, kx * L), t1 = FloatVector.fromArray(S, t, (5 + kx) * L),
                                t2 = FloatVector.fromArray(S, t, (10 + kx) * L), t3 = FloatVector.fromArray(S, t, (15 + kx) * L),
                                t4 = FloatVector.fromArray(S, t, (20 + kx) * L), t5 = FloatVector.fromArray(S, t, (25 + kx) * L),
                                t6 = FloatVector.fromArray(S, t, (30 + kx) * L), t7 = FloatVector.fromArray(S, t, (35 + kx) * L);
                        for (int ky = 0; ky < 5; ky++) {
                            t0.mul(GF[0][ky]).add(t1.mul(GF[1][ky])).add(t2.mul(GF[2][ky])).add(t3.mul(GF[3][ky]))
                                    .add(t4.mul(GF[4][ky])).add(t5.mul(GF[5][ky])).add(t6.mul(GF[6][ky])).add(t7.mul(GF[7][ky]))
                                    .intoMemorySegment(dst, (off + (ky * 5L + kx) * cf + (long) ci * f + fo) * 4, NO);
                        }
                    }
                }
            }
        }
    }

    private static FloatVector load(MemorySegment m, long floatOff) {
        return FloatVector.fromMemorySegment(S, m, floatOff * 4, NO);
    }

    /** The scalar, double-precision F(4x4, 5x5) of one 8 x 8 tile {@code d} and 5 x 5 kernel {@code g}: the matrices alone, for tests. */
    static double[][] tileScalar(double[][] d, double[][] g) {
        double[][] u = new double[8][8], vt = new double[8][8], out = new double[4][4];
        for (int a = 0; a < 8; a++)
            for (int b = 0; b < 8; b++) {
                double su = 0, sv = 0;
                for (int y = 0; y < 5; y++) for (int x = 0; x < 5; x++) su += G[a][y] * g[y][x] * G[b][x];
                for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) sv += BT[a][y] * d[y][x] * BT[b][x];
                u[a][b] = su;
                vt[a][b] = sv;
            }
        for (int a = 0; a < 8; a++)
            for (int b = 0; b < 8; b++) {
                double p = u[a][b] * vt[a][b];
                for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) out[i][j] += AT[i][a] * p * AT[j][b];
            }
        return out;
    }
}
