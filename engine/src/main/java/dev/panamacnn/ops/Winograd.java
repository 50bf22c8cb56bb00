package dev.panamacnn.ops;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.panamacnn.ops.Gemm.F;
import static dev.panamacnn.ops.Gemm.L;
import static dev.panamacnn.ops.Gemm.NO;
import static dev.panamacnn.ops.Gemm.S;

/**
 * A 5 x 5, stride-1 convolution forward as Winograd's minimal filtering F(2x2, 5x5): each 6 x 6 input tile gives a
 * 2 x 2 output tile with 36 multiplications per (input channel, filter) pair instead of 100, 2.78x fewer
 * multiply-adds than the direct product; the work becomes 36 GEMMs ({@code tiles x C} by {@code C x F}), one per
 * position of the transformed tile, run on {@link Gemm}'s packed path.
 *
 * <p>{@code Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A} with the interpolation points 0, 1, -1, 2, -2 and infinity:
 * <pre>
 *   Bᵀ = [4  0 -5  0 1 0]    G = [ 1/4     0     0     0    0 ]    Aᵀ = [1 1  1 1  1 0]
 *        [0 -4 -4  1 1 0]        [-1/6  -1/6  -1/6  -1/6 -1/6]         [0 1 -1 2 -2 1]
 *        [0  4 -4 -1 1 0]        [-1/6   1/6  -1/6   1/6 -1/6]
 *        [0 -2 -1  2 1 0]        [1/24  1/12   1/6   1/3  2/3]
 *        [0  2 -1 -2 1 0]        [1/24 -1/12   1/6  -1/3  2/3]
 *        [0  4  0 -5 0 1]        [   0     0     0     0    1]
 * </pre>
 * (solved exactly from the correlation identity; {@code WinogradTest} checks it against the direct sum). The
 * transforms scale values by up to 25 (input) and round 1/6 and 1/24 (kernel), so outputs differ from the direct
 * sum's by a few units in the last place of the largest terms; the tests bound it. Training's kernel gradient uses
 * it where {@link Winograd4}'s F(5x5, 4x4) does not apply or is turned off
 * ({@code -Dpanamacnn.winograd4.kernelGradient=false}; the tutorial's test accuracy stays within seed noise on both), and the forward pass where
 * {@link Winograd4}'s F(4x4, 5x5) does not apply (output sides not multiples of 4) or is turned off
 * ({@code -Dpanamacnn.winograd4=false}); {@code -Dpanamacnn.winograd=predict} keeps
 * training on the exact direct path and {@code off} keeps everything there (see
 * {@link dev.panamacnn.runtime.Flags#winograd()}).
 *
 * <p>Vectors run along the channels (input transform, C) and the filters (kernel and output transforms, F), so
 * both must be multiples of the vector length. Results depend only on the data, never on the thread count.
 */
public final class Winograd {
    private Winograd() {}

    /** Positions of the transformed tile. */
    public static final int POS = 36;
    /**
     * Floats between consecutive positions' planes beyond their data: without it the 36 planes of a chunk lie a
     * power of two apart and the transforms' 36 streams fall into the same L1 sets.
     */
    private static final int PLANE_PAD = 16;
    /** Floats from one position's eight rows of V to the next's in the direct path (padded off a power of two). */
    /**
     * Register-tile row blocks ({@link Gemm#MR} tiles each) per pass of the forward's 36 products: each position's B
     * panel is then read from L1 by four micro-kernel calls instead of one (batch 1000: 22.6-27.3 ms against
     * 24.9-29.8 ms per call with one block, two and eight blocks no better; docs/performance.md).
     */
    static final int FWD_GROUP = 4;
    private static final int V_PLANE = FWD_GROUP * Gemm.MR * Gemm.KC + PLANE_PAD;

    private static final float[][] G = {
            {1 / 4f, 0, 0, 0, 0},
            {-1 / 6f, -1 / 6f, -1 / 6f, -1 / 6f, -1 / 6f},
            {-1 / 6f, 1 / 6f, -1 / 6f, 1 / 6f, -1 / 6f},
            {1 / 24f, 1 / 12f, 1 / 6f, 1 / 3f, 2 / 3f},
            {1 / 24f, -1 / 12f, 1 / 6f, -1 / 3f, 2 / 3f},
            {0, 0, 0, 0, 1}};
    private static final float[] A0 = {1, 1, 1, 1, 1, 0}, A1 = {0, 1, -1, 2, -2, 1};

    /** Whether this path handles a convolution: 5 x 5, stride 1, even output sides, C and F multiples of the vector length. */
    public static boolean applies(int kh, int kw, int sh, int sw, int oh, int ow, int c, int f) {
        return Gemm.VECTOR && kh == 5 && kw == 5 && sh == 1 && sw == 1 && oh % 2 == 0 && ow % 2 == 0 && oh > 0 && ow > 0
                && c % L == 0 && f % L == 0;
    }

    /** A layer's workspace: the transformed kernel (36 packed {@code C x F} matrices) and, per worker, V and M. */
    public static final class Plan {
        final int c, f, oh, ow, tilesY, tilesX, maxSamples;
        final MemorySegment kernel36;
        final MemorySegment[] packed = new MemorySegment[POS];
        /**
         * Per worker: V ({@link #direct}: FWD_GROUP x eight tiles, row r of position q at {@code q V_PLANE + r KC}; else the
         * chunk's tiles, rows C apart, also as a segment for the GEMM); and M.
         */
        final float[][] v;
        final MemorySegment[] vSegment, m;
        /**
         * Whether the 36 products run straight on {@link Gemm}'s micro-kernel, eight tiles at a time (C within one K
         * block, F whole B panels): the same kernel, with the same operands, as {@code Gemm.gemmPacked} runs on them,
         * so the same bits, without copying A into a packed block for every position.
         */
        final boolean direct;
        /** Scratch of {@link #finishKernelGradient}. */
        private final float[] finishTmp = new float[6 * 5 * L];
        /** Per worker, for the kernel gradient: one block of tiles' V (A of the micro-kernel) and U (its B panels). */
        final float[][] gradV;
        final MemorySegment[] gradU;
        final float[][] tmp;
        private final float[] kernelTmp = new float[6 * 5 * L];

        /** For a {@code c -> f} convolution with output {@code oh x ow}, chunks of up to {@code maxSamples} samples, {@code workers} threads. */
        public Plan(Arena arena, int c, int f, int oh, int ow, int maxSamples, int workers) {
            this(arena, c, f, oh, ow, maxSamples, workers, c <= Gemm.KC && f % Gemm.NR == 0);
        }

        /** As the public constructor; {@code direct} false forces the products through {@code Gemm.gemmPacked} (for tests). */
        Plan(Arena arena, int c, int f, int oh, int ow, int maxSamples, int workers, boolean direct) {
            if (direct && (c > Gemm.KC || f % Gemm.NR != 0)) throw new IllegalArgumentException("the direct products need C <= " + Gemm.KC + " and F % " + Gemm.NR + " == 0: C=" + c + " F=" + f);
            this.c = c; this.f = f; this.oh = oh; this.ow = ow; this.maxSamples = maxSamples;
            tilesY = oh / 2; tilesX = ow / 2;
            kernel36 = dev.panamacnn.tensor.Tensor.allocateFloats(arena, (long) POS * c * f);
            int ps = Gemm.packedSize(c, f);
            MemorySegment all = dev.panamacnn.tensor.Tensor.allocateFloats(arena, (long) POS * ps);
            for (int p = 0; p < POS; p++) packed[p] = all.asSlice((long) p * ps * 4, (long) ps * 4);
            long rows = (long) maxSamples * tilesY * tilesX;
            this.direct = direct;
            v = new float[workers][];
            vSegment = new MemorySegment[workers];
            m = new MemorySegment[workers];
            gradV = new float[workers][];
            gradU = new MemorySegment[workers];
            tmp = new float[workers][Math.max(2 * POS, 6 * (ow + 4)) * Math.max(L, 1)];
            for (int i = 0; i < workers; i++) {
                v[i] = new float[direct ? POS * V_PLANE : Math.toIntExact(POS * (rows * c + PLANE_PAD))];
                if (!direct) vSegment[i] = MemorySegment.ofArray(v[i]);
                m[i] = dev.panamacnn.tensor.Tensor.allocateFloats(arena, POS * ((direct ? FWD_GROUP * Gemm.MR : rows) * f + PLANE_PAD));
                if (gradientApplies()) {
                    gradV[i] = new float[(POS + Gemm.MC / c - 1) / (Gemm.MC / c) * vBlock()];
                    gradU[i] = dev.panamacnn.tensor.Tensor.allocateFloats(arena, POS * uPosition());
                }
            }
        }

        /** Samples per chunk this plan was made for. */
        public int maxSamples() { return maxSamples; }

        /**
         * {@code U = G g Gᵀ} for every (input channel, filter) pair of the HWIO kernel at float {@code off} of
         * {@code params}, packed for the 36 GEMMs. Once per weights version.
         */
        public void transformKernel(MemorySegment params, long off) {
            float[] t = kernelTmp;
            long cf = (long) c * f;
            for (int ci = 0; ci < c; ci++) {
                for (int fo = 0; fo < f; fo += L) {
                    // t[a][kx] = sum_ky G[a][ky] g[ky][kx]
                    for (int kx = 0; kx < 5; kx++) {
                        FloatVector g0 = load(params, off + (0L * 5 + kx) * cf + (long) ci * f + fo), g1 = load(params, off + (1L * 5 + kx) * cf + (long) ci * f + fo),
                                g2 = load(params, off + (2L * 5 + kx) * cf + (long) ci * f + fo), g3 = load(params, off + (3L * 5 + kx) * cf + (long) ci * f + fo),
                                g4 = load(params, off + (4L * 5 + kx) * cf + (long) ci * f + fo);
                        for (int a = 0; a < 6; a++) {
                            float[] ga = G[a];
                            g0.mul(ga[0]).add(g1.mul(ga[1])).add(g2.mul(ga[2])).add(g3.mul(ga[3])).add(g4.mul(ga[4])).intoArray(t, (a * 5 + kx) * L);
                        }
                    }
                    // u[a][b] = sum_kx t[a][kx] G[b][kx]
                    for (int a = 0; a < 6; a++) {
                        FloatVector t0 = FloatVector.fromArray(S, t, (a * 5) * L), t1 = FloatVector.fromArray(S, t, (a * 5 + 1) * L),
                                t2 = FloatVector.fromArray(S, t, (a * 5 + 2) * L), t3 = FloatVector.fromArray(S, t, (a * 5 + 3) * L),
                                t4 = FloatVector.fromArray(S, t, (a * 5 + 4) * L);
                        for (int b = 0; b < 6; b++) {
                            float[] gb = G[b];
                            t0.mul(gb[0]).add(t1.mul(gb[1])).add(t2.mul(gb[2])).add(t3.mul(gb[3])).add(t4.mul(gb[4]))
                                    .intoMemorySegment(kernel36, ((a * 6 + b) * cf + (long) ci * f + fo) * 4, NO);
                        }
                    }
                }
            }
            for (int p = 0; p < POS; p++) Gemm.packB(false, c, f, kernel36, p * cf, f, packed[p]);
        }

        /**
         * Outputs of {@code cnt} samples ({@code h x w x c} each, valid padding, at float {@code inOff} of {@code in})
         * into {@code out} at float {@code outOff} ({@code oh x ow x f} each), on worker {@code wk}'s buffers: the
         * pre-activations without bias when {@code bias} is null, else plus the bias at float {@code biasOff} of
         * {@code bias}, through ReLU when {@code relu}.
         */
        public void forward(MemorySegment in, long inOff, int cnt, int h, int w, MemorySegment out, long outOff,
                            MemorySegment bias, long biasOff, boolean relu, int wk, Gemm.Scratch gs) {
            if (cnt > maxSamples) throw new IllegalArgumentException("chunk of " + cnt + " samples, planned for " + maxSamples);
            forwardTiles(in, inOff, h, w, 0, cnt * tilesY * tilesX, out, outOff, bias, biasOff, relu, wk, gs);
        }

        /** Tiles per sample. */
        public int tilesPerSample() { return tilesY * tilesX; }

        /**
         * {@link #forward} of tiles {@code [t0, t1)} only, tiles numbered (sample, tile row, tile column) from the
         * samples at {@code inOff} and {@code outOff}: disjoint ranges can run on different workers (a lone sample's
         * tiles split between threads). Every output depends only on its own tile, and a GEMM row's bits do not depend
         * on the rows beside it, so any split gives the same bits as one call.
         */
        public void forwardTiles(MemorySegment in, long inOff, int h, int w, int t0, int t1, MemorySegment out, long outOff,
                                 MemorySegment bias, long biasOff, boolean relu, int wk, Gemm.Scratch gs) {
            int rows = t1 - t0;
            if (rows > maxSamples * tilesY * tilesX) throw new IllegalArgumentException(rows + " tiles, planned for " + maxSamples * tilesY * tilesX);
            float[] va = v[wk], t = tmp[wk];
            MemorySegment mm = m[wk];
            if (!direct) {
                int vPlane = rows * c + PLANE_PAD;
                long mPlane = (long) rows * f + PLANE_PAD;
                transformInput(in, inOff, h, w, t0, t1, va, c, vPlane, t);
                MemorySegment vs = vSegment[wk];
                for (int p = 0; p < POS; p++) {
                    Gemm.gemmPacked(false, rows, f, c, vs, (long) p * vPlane, c, packed[p], false, mm, p * mPlane, f, gs);
                }
                transformOutput(mm, mPlane, t0, t1, out, outOff, bias, biasOff, relu);
                return;
            }
            // FWD_GROUP x eight tiles at a time: V straight in the micro-kernel's layout (rows KC apart), M of those
            // tiles in the cache when the output transform reads it
            long mPlane = (long) FWD_GROUP * Gemm.MR * f + PLANE_PAD, ldc = (long) f * 4;
            int panels = f / Gemm.NR;
            for (int b0 = t0; b0 < t1; b0 += FWD_GROUP * Gemm.MR) {
                int b1 = Math.min(t1, b0 + FWD_GROUP * Gemm.MR), blocks = (b1 - b0 + Gemm.MR - 1) / Gemm.MR;
                transformInput(in, inOff, h, w, b0, b1, va, Gemm.KC, V_PLANE, t);
                for (int p = 0; p < POS; p++) {
                    for (int j = 0; j < panels; j++) {
                        long bj = (long) j * c * Gemm.NR * 4;
                        for (int r = 0; r < blocks; r++) {
                            Gemm.kernelRowsA(va, p * V_PLANE + r * Gemm.MR * Gemm.KC, packed[p], bj, c, mm,
                                    (p * mPlane + (long) r * Gemm.MR * f + (long) j * Gemm.NR) * 4, ldc, false);
                        }
                    }
                }
                transformOutput(mm, mPlane, b0, b1, out, outOff, bias, biasOff, relu);
            }
        }

        /**
         * Whether {@link #kernelGradient} handles this layer: besides {@link #applies}, the filters fill whole B panels
         * ({@code F % NR == 0}) and the channels fit one A block ({@code C <= MC}, {@code C % MR == 0}).
         */
        public boolean gradientApplies() { return f % Gemm.NR == 0 && c <= Gemm.MC && c % Gemm.MR == 0; }

        /**
         * The kernel gradient as F(5x5, 2x2), the forward algorithm transposed: with {@code U = A dy Aᵀ} of each 2 x 2
         * tile of the output gradient and {@code V = Bᵀ d B} of its 6 x 6 input tile (the forward's input transform),
         * {@code dW = Gᵀ [Σ over tiles of V ⊙ U] G}; over the channel pairs the sums are 36 products
         * {@code (C x tiles) by (tiles x F)}. This adds the {@code cnt} samples at float {@code inOff} of {@code in}
         * ({@code h x w x c} each), with their pre-activation gradients at float {@code dOutOff} of {@code dOut}
         * ({@code oh x ow x f} each), to the sums ({@link #sumsSize} floats) at float {@code sumsOff} of {@code sums},
         * which it first clears unless {@code accumulate}; {@code wk} picks the worker's scratch. The transform is
         * linear, so sums of several calls added up (in a fixed order) and turned into the gradient once by
         * {@link #finishKernelGradient} give the gradient of all their tiles.
         *
         * <p>Tiles go in blocks of {@link #GRAD_TILES}: V and U of a block are written straight in the layouts the
         * GEMM micro-kernel reads ({@link Gemm#kernelColumnsA}: A's columns {@link Gemm#MC} floats apart, B in
         * {@link Gemm#NR}-wide panels), so nothing is packed, and a block's V, U and the sums stay in L2. Sums run in
         * tile order: the result depends only on the samples and how they are chunked, never on the thread count.
         */
        public void kernelGradient(MemorySegment in, long inOff, int cnt, int h, int w, MemorySegment dOut, long dOutOff,
                                   MemorySegment sums, long sumsOff, boolean accumulate, int wk, Gemm.Scratch gs) {
            if (cnt > maxSamples) throw new IllegalArgumentException("chunk of " + cnt + " samples, planned for " + maxSamples);
            if (!gradientApplies()) throw new IllegalStateException("Winograd kernel gradient for C=" + c + ", F=" + f);
            int tiles = cnt * tilesY * tilesX, perBlock = Gemm.MC / c;
            float[] va = gradV[wk], t = tmp[wk];
            MemorySegment ub = gradU[wk];
            for (int t0 = 0; t0 < tiles; t0 += GRAD_TILES) {
                int tb = Math.min(GRAD_TILES, tiles - t0);
                boolean acc = accumulate || t0 > 0;
                transformInputBlock(in, inOff, h, w, t0, tb, va, t);
                transformGradientBlock(dOut, dOutOff, t0, tb, ub);
                positionGemms(POS, perBlock, vBlock(), va, ub, uPosition(), tb, c, f, sums, sumsOff, acc);
            }
        }

        /**
         * Floats from one group of positions' V columns to the next's, and from one position's U panels to the next's:
         * with 64 bytes beyond the data, so that the transforms' 36 streams do not land a power of two apart (in the
         * same L1 sets; without it the output gradient's transform took 2.5x as long).
         */
        private int vBlock() { return GRAD_TILES * Gemm.MC + PLANE_PAD; }
        private long uPosition() { return (long) (f / Gemm.NR) * GRAD_TILES * Gemm.NR + PLANE_PAD; }

        /** Tiles per block of {@link #kernelGradient}. */
        public static final int GRAD_TILES = 32;

        /**
         * The kernel gradient's products for one block of {@code tb} tiles (of at most {@link #GRAD_TILES}), shared by
         * F(5x5, 2x2) and {@link Winograd4}'s F(5x5, 4x4): for each of the {@code positions}, {@code sums[p] (+)= V_pᵀ U_p}
         * on {@link Gemm#kernelColumnsA}. V holds {@code perBlock} positions' {@code c}-wide columns per {@code vBlock}
         * floats, U each position's {@code f / NR} panels {@code uPosition} floats apart; sums are {@code positions x c x f}
         * at float {@code sumsOff}, added to when {@code acc}, else written.
         */
        static void positionGemms(int positions, int perBlock, int vBlock, float[] va, MemorySegment ub, long uPosition, int tb,
                                  int c, int f, MemorySegment sums, long sumsOff, boolean acc) {
            int panels = f / Gemm.NR;
            for (int p = 0; p < positions; p++) {
                int aBase = (p / perBlock) * vBlock + (p % perBlock) * c;
                for (int j = 0; j < panels; j++) {
                    long bByte = (p * uPosition + (long) j * GRAD_TILES * Gemm.NR) * 4;
                    for (int ci = 0; ci < c; ci += Gemm.MR) {
                        Gemm.kernelColumnsA(va, aBase + ci, ub, bByte, tb, sums, (sumsOff + ((long) p * c + ci) * f + (long) j * Gemm.NR) * 4, (long) f * 4, acc);
                    }
                }
            }
        }

        /** V of tiles {@code [t0, t0 + tb)}: position p's column of tile t, channel ci, at {@code (p / q) vBlock + (t - t0) MC + (p % q) C + ci}, q = MC / C. */
        private void transformInputBlock(MemorySegment in, long inOff, int h, int w, int t0, int tb, float[] va, float[] t) {
            long px = c, line = (long) w * c;
            int perSample = tilesY * tilesX, perBlock = Gemm.MC / c;
            for (int tt = t0; tt < t0 + tb; tt++) {
                int s = tt / perSample, rem = tt - s * perSample, ty = rem / tilesX, tx = rem - ty * tilesX;
                long tile = inOff + (long) s * h * w * c + (2L * ty) * line + (2L * tx) * px;
                int col = (tt - t0) * Gemm.MC;
                for (int ci = 0; ci < c; ci += L) {
                    transformTile(in, tile + ci, line, px, t);
                    for (int q = 0; q < POS; q++) {
                        FloatVector.fromArray(S, t, (POS + q) * L).intoArray(va, (q / perBlock) * vBlock() + col + (q % perBlock) * c + ci);
                    }
                }
            }
        }

        /** U of tiles {@code [t0, t0 + tb)}: position p, filter fo of tile t at float {@code p uPosition + ((fo / NR) GRAD_TILES + t - t0) NR + fo % NR}. */
        private void transformGradientBlock(MemorySegment dOut, long dOutOff, int t0, int tb, MemorySegment ub) {
            long outSample = (long) oh * ow * f;
            int perSample = tilesY * tilesX, panels = f / Gemm.NR;
            long pb = uPosition() * 4;   // bytes from one position's panels to the next's
            for (int tt = t0; tt < t0 + tb; tt++) {
                int s = tt / perSample, rem = tt - s * perSample, ty = rem / tilesX, tx = rem - ty * tilesX;
                long y0 = dOutOff + s * outSample + ((2L * ty) * ow + 2L * tx) * f, y1 = y0 + (long) ow * f;
                for (int fo = 0; fo < f; fo += L) {
                    FloatVector g00 = load(dOut, y0 + fo), g01 = load(dOut, y0 + f + fo), g10 = load(dOut, y1 + fo), g11 = load(dOut, y1 + f + fo);
                    // columns: c_j[a] = A0[a] dy[0][j] + A1[a] dy[1][j], A0 = (1 1 1 1 1 0), A1 = (0 1 -1 2 -2 1);
                    // then u[a][b] = A0[b] c_0[a] + A1[b] c_1[a], six positions per a
                    FloatVector h10 = g10.mul(2f), h11 = g11.mul(2f);
                    long o = (((long) (fo / Gemm.NR) * GRAD_TILES + (tt - t0)) * Gemm.NR + fo % Gemm.NR) * 4;
                    rowOf(g00, g01, ub, o, pb);
                    rowOf(g00.add(g10), g01.add(g11), ub, o + 6 * pb, pb);
                    rowOf(g00.sub(g10), g01.sub(g11), ub, o + 12 * pb, pb);
                    rowOf(g00.add(h10), g01.add(h11), ub, o + 18 * pb, pb);
                    rowOf(g00.sub(h10), g01.sub(h11), ub, o + 24 * pb, pb);
                    rowOf(g10, g11, ub, o + 30 * pb, pb);
                }
            }
        }

        /** Stores (A0[b] x + A1[b] y) for b = 0..5 at {@code byteOff + b * stride}. */
        private static void rowOf(FloatVector x, FloatVector y, MemorySegment ub, long byteOff, long stride) {
            FloatVector y2 = y.mul(2f);
            x.intoMemorySegment(ub, byteOff, NO);
            x.add(y).intoMemorySegment(ub, byteOff + stride, NO);
            x.sub(y).intoMemorySegment(ub, byteOff + 2 * stride, NO);
            x.add(y2).intoMemorySegment(ub, byteOff + 3 * stride, NO);
            x.sub(y2).intoMemorySegment(ub, byteOff + 4 * stride, NO);
            y.intoMemorySegment(ub, byteOff + 5 * stride, NO);
        }

        /** Floats of the 36 sums of {@link #kernelGradient}: {@code 36 x C x F}, position p's {@code C x F} at {@code p C F}. */
        public long sumsSize() { return (long) POS * c * f; }

        /**
         * {@code dW = Gᵀ S G} of the sums at float {@code sumsOff} of {@code sums}, written (not added) in HWIO order
         * ({@code 5 x 5 x c x f}) at float {@code off} of {@code dst}. One thread at a time (it has one scratch).
         */
        public void finishKernelGradient(MemorySegment sums, long sumsOff, MemorySegment dst, long off) {
            float[] t = finishTmp;   // t[a][kx], 6 x 5 vectors
            long cf = (long) c * f;
            for (int ci = 0; ci < c; ci++) {
                for (int fo = 0; fo < f; fo += L) {
                    long o = (long) ci * f + fo;
                    // t[a][kx] = sum_b S[a][b] G[b][kx]
                    for (int a = 0; a < 6; a++) {
                        long so = sumsOff + o;
                        FloatVector s0 = load(sums, (a * 6L) * cf + so), s1 = load(sums, (a * 6L + 1) * cf + so), s2 = load(sums, (a * 6L + 2) * cf + so),
                                s3 = load(sums, (a * 6L + 3) * cf + so), s4 = load(sums, (a * 6L + 4) * cf + so), s5 = load(sums, (a * 6L + 5) * cf + so);
                        for (int kx = 0; kx < 5; kx++) {
                            s0.mul(G[0][kx]).add(s1.mul(G[1][kx])).add(s2.mul(G[2][kx])).add(s3.mul(G[3][kx])).add(s4.mul(G[4][kx])).add(s5.mul(G[5][kx]))
                                    .intoArray(t, (a * 5 + kx) * L);
                        }
                    }
                    // dW[ky][kx] = sum_a G[a][ky] t[a][kx]
                    for (int kx = 0; kx < 5; kx++) {
                        FloatVector t0 = FloatVector.fromArray(S, t, kx * L), t1 = FloatVector.fromArray(S, t, (5 + kx) * L),
                                t2 = FloatVector.fromArray(S, t, (10 + kx) * L), t3 = FloatVector.fromArray(S, t, (15 + kx) * L),
                                t4 = FloatVector.fromArray(S, t, (20 + kx) * L), t5 = FloatVector.fromArray(S, t, (25 + kx) * L);
                        for (int ky = 0; ky < 5; ky++) {
                            t0.mul(G[0][ky]).add(t1.mul(G[1][ky])).add(t2.mul(G[2][ky])).add(t3.mul(G[3][ky])).add(t4.mul(G[4][ky])).add(t5.mul(G[5][ky]))
                                    .intoMemorySegment(dst, (off + (ky * 5L + kx) * cf + o) * 4, NO);
                        }
                    }
                }
            }
        }

        /**
         * V of tiles {@code [t0, t1)}: position p, channel ci of tile t at {@code p plane + (t - t0) rowStride + ci} of
         * {@code va}. Tiles side by side overlap by
         * four columns, so the column pass ({@code Bᵀ d}) runs once per column of a tile row and each tile's row pass
         * ({@code (Bᵀ d) B}) reads its six columns from it, writing V in place: the same operations on the same
         * values as {@link #transformTile}, tile by tile, so the same bits.
         */
        private void transformInput(MemorySegment in, long inOff, int h, int w, int t0, int t1, float[] va, int rowStride, int plane, float[] t) {
            long px = c, line = (long) w * c;
            int perSample = tilesY * tilesX;
            for (int tt = t0; tt < t1; ) {
                int s = tt / perSample, rem = tt - s * perSample, ty = rem / tilesX, tx0 = rem - ty * tilesX;
                int n = Math.min(tilesX - tx0, t1 - tt), cols = 2 * n + 4;
                long first = inOff + (long) s * h * w * c + (2L * ty) * line + (2L * tx0) * px;
                for (int ci = 0; ci < c; ci += L) {
                    columnPass(in, first + ci, line, px, cols, ow + 4, t);
                    for (int k = 0; k < n; k++) rowPass(t, 2 * k, ow + 4, va, (tt - t0 + k) * rowStride + ci, plane);
                }
                tt += n;
            }
        }

        /** {@code t[(i w + x) L ..] = (Bᵀ d)[i][x]} for columns {@code x < cols} from float {@code o} of {@code in}. */
        private static void columnPass(MemorySegment in, long o, long line, long px, int cols, int w, float[] t) {
            for (int x = 0; x < cols; x++, o += px) {
                FloatVector d0 = load(in, o), d1 = load(in, o + line), d2 = load(in, o + 2 * line),
                        d3 = load(in, o + 3 * line), d4 = load(in, o + 4 * line), d5 = load(in, o + 5 * line);
                FloatVector s12 = d1.add(d2), s34 = d3.add(d4), d12 = d1.sub(d2), d43 = d4.sub(d3), d31 = d3.sub(d1), d42 = d4.sub(d2);
                d0.mul(4f).add(d4).sub(d2.mul(5f)).intoArray(t, x * L);
                s34.sub(s12.mul(4f)).intoArray(t, (w + x) * L);
                d12.mul(4f).add(d43).intoArray(t, (2 * w + x) * L);
                d31.mul(2f).add(d42).intoArray(t, (3 * w + x) * L);
                d42.sub(d31.mul(2f)).intoArray(t, (4 * w + x) * L);
                d1.mul(4f).add(d5).sub(d3.mul(5f)).intoArray(t, (5 * w + x) * L);
            }
        }

        /** One tile's row pass over columns {@code [x0, x0 + 6)} of {@link #columnPass}'s {@code t}: position q to float {@code o + q plane} of {@code va}. */
        private static void rowPass(float[] t, int x0, int w, float[] va, int o, int plane) {
            for (int i = 0; i < 6; i++, o += 6 * plane) {
                int r = (i * w + x0) * L;
                FloatVector d0 = FloatVector.fromArray(S, t, r), d1 = FloatVector.fromArray(S, t, r + L),
                        d2 = FloatVector.fromArray(S, t, r + 2 * L), d3 = FloatVector.fromArray(S, t, r + 3 * L),
                        d4 = FloatVector.fromArray(S, t, r + 4 * L), d5 = FloatVector.fromArray(S, t, r + 5 * L);
                FloatVector s12 = d1.add(d2), s34 = d3.add(d4), d12 = d1.sub(d2), d43 = d4.sub(d3), d31 = d3.sub(d1), d42 = d4.sub(d2);
                d0.mul(4f).add(d4).sub(d2.mul(5f)).intoArray(va, o);
                s34.sub(s12.mul(4f)).intoArray(va, o + plane);
                d12.mul(4f).add(d43).intoArray(va, o + 2 * plane);
                d31.mul(2f).add(d42).intoArray(va, o + 3 * plane);
                d42.sub(d31.mul(2f)).intoArray(va, o + 4 * plane);
                d1.mul(4f).add(d5).sub(d3.mul(5f)).intoArray(va, o + 5 * plane);
            }
        }

        /**
         * {@code Bᵀ d B} of one 6 x 6 tile, one vector of channels, the tile's first element at float {@code o} of
         * {@code in}, its rows {@code line} and its pixels {@code px} floats apart: position {@code q} into
         * {@code t[(36 + q) L ..]} ({@code t}'s first 36 vectors are the column pass's).
         */
        private static void transformTile(MemorySegment in, long tile, long line, long px, float[] t) {
            columnPass(in, tile, line, px, 6, 6, t);
            rowPass(t, 0, 6, t, POS * L, L);
        }

        /** Y = Aᵀ M A of tiles {@code [from, to)} (row {@code t - from} of M), written to their 2 x 2 output pixels. */
        private void transformOutput(MemorySegment mm, long plane, int from, int to, MemorySegment out, long outOff, MemorySegment bias, long biasOff, boolean relu) {
            long outSample = (long) oh * ow * f;
            int perSample = tilesY * tilesX;
            for (int tt = from; tt < to; tt++) {
                int s = tt / perSample, rem = tt - s * perSample, ty = rem / tilesX, tx = rem - ty * tilesX, row = tt - from;
                long y0 = outOff + s * outSample + ((2L * ty) * ow + 2L * tx) * f, y1 = y0 + (long) ow * f;
                for (int fo = 0; fo < f; fo += L) {
                    FloatVector y00 = FloatVector.zero(S), y01 = y00, y10 = y00, y11 = y00;
                    long o = (long) row * f + fo;
                    for (int j = 0; j < 6; j++) {
                        FloatVector m0 = load(mm, o + j * plane), m1 = load(mm, o + (6 + j) * plane), m2 = load(mm, o + (12 + j) * plane),
                                m3 = load(mm, o + (18 + j) * plane), m4 = load(mm, o + (24 + j) * plane), m5 = load(mm, o + (30 + j) * plane);
                        FloatVector t0 = m0.add(m1).add(m2).add(m3).add(m4);
                        FloatVector t1 = m1.sub(m2).add(m3.sub(m4).mul(2f)).add(m5);
                        float a0 = A0[j], a1 = A1[j];
                        y00 = y00.add(t0.mul(a0));
                        y01 = y01.add(t0.mul(a1));
                        y10 = y10.add(t1.mul(a0));
                        y11 = y11.add(t1.mul(a1));
                    }
                    if (bias != null) {
                        FloatVector bv = load(bias, biasOff + fo);
                        y00 = y00.add(bv); y01 = y01.add(bv); y10 = y10.add(bv); y11 = y11.add(bv);
                        if (relu) {
                            FloatVector z = FloatVector.zero(S);
                            y00 = y00.max(z); y01 = y01.max(z); y10 = y10.max(z); y11 = y11.max(z);
                        }
                    }
                    y00.intoMemorySegment(out, (y0 + fo) * 4, NO);
                    y01.intoMemorySegment(out, (y0 + f + fo) * 4, NO);
                    y10.intoMemorySegment(out, (y1 + fo) * 4, NO);
                    y11.intoMemorySegment(out, (y1 + f + fo) * 4, NO);
                }
            }
        }
    }

    private static FloatVector load(MemorySegment m, long floatOff) {
        return FloatVector.fromMemorySegment(S, m, floatOff * 4, NO);
    }

    /** The scalar, double-precision F(2x2, 5x5) of one 6 x 6 tile {@code d} and 5 x 5 kernel {@code g}: the matrices alone, for tests. */
    static double[][] tileScalar(double[][] d, double[][] g) {
        double[][] u = new double[6][6], vt = new double[6][6], out = new double[2][2];
        double[][] bt = {{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
        double[][] gm = {{1 / 4.0, 0, 0, 0, 0}, {-1 / 6.0, -1 / 6.0, -1 / 6.0, -1 / 6.0, -1 / 6.0}, {-1 / 6.0, 1 / 6.0, -1 / 6.0, 1 / 6.0, -1 / 6.0},
                {1 / 24.0, 1 / 12.0, 1 / 6.0, 1 / 3.0, 2 / 3.0}, {1 / 24.0, -1 / 12.0, 1 / 6.0, -1 / 3.0, 2 / 3.0}, {0, 0, 0, 0, 1}};
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++) {
                double su = 0, sv = 0;
                for (int y = 0; y < 5; y++) for (int x = 0; x < 5; x++) su += gm[a][y] * g[y][x] * gm[b][x];
                for (int y = 0; y < 6; y++) for (int x = 0; x < 6; x++) sv += bt[a][y] * d[y][x] * bt[b][x];
                u[a][b] = su;
                vt[a][b] = sv;
            }
        double[] a0 = {1, 1, 1, 1, 1, 0}, a1 = {0, 1, -1, 2, -2, 1};
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++) {
                double p = u[a][b] * vt[a][b];
                out[0][0] += a0[a] * p * a0[b];
                out[0][1] += a0[a] * p * a1[b];
                out[1][0] += a1[a] * p * a0[b];
                out[1][1] += a1[a] * p * a1[b];
            }
        return out;
    }
}
