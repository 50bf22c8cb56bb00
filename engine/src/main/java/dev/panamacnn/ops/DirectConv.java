package dev.panamacnn.ops;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.panamacnn.ops.Gemm.F;
import static dev.panamacnn.ops.Gemm.L;
import static dev.panamacnn.ops.Gemm.MR;
import static dev.panamacnn.ops.Gemm.NO;
import static dev.panamacnn.ops.Gemm.NR;
import static dev.panamacnn.ops.Gemm.S;

/**
 * Convolution of a single-channel input with stride 1 along x (the first layer of an image network) without
 * im2col: the micro-kernels read the receptive fields straight from a copy of the sample's image in a Java
 * array. For such a layer the GEMM path spent most of its time laying out 25-float rows (im2col, then copying
 * them into the packed block) rather than multiplying; here there is no layout step at all.
 *
 * <p>The register tile is the GEMM's: {@link Gemm#MR} output pixels along x (or {@code MR} kernel taps for the
 * kernel gradient) by {@link Gemm#NR} filters, {@code 2*MR} accumulators. Filters come in {@code NR}-wide panels
 * packed by {@link Gemm#packB(boolean, int, int, MemorySegment, long, int, float[])}.
 *
 * <p>The kernels (and the 5-wide forward ones, {@code kernelForward8k5} and {@code kernelForward4k5}, with their taps
 * along x written out) repeat the GEMM micro-kernel's accumulator code rather than share it: their inner loops index
 * the image differently, C2 drops the bounds checks only for indices linear in the loop counter with
 * constant factors, and handing the sixteen accumulators to a helper makes C2 box them (Gemm's kernel notes). Like
 * the GEMM's, each kernel runs as two 4-row halves where {@link Gemm#HALVES} says so (AVX2), with the same bits.
 *
 * <p>Summation order: the forward pass sums the taps in (ky, kx) order in one chain per output; the kernel
 * gradient sums one sample's pixels in row-major order in one chain and adds that sample's sum to the
 * accumulator. Both depend only on the data, never on the thread count.
 */
public final class DirectConv {
    private DirectConv() {}

    /** Whether this path handles a layer: one input channel, stride 1 along x, at least {@link Gemm#MR} output columns. */
    public static boolean applies(int c, int sw, int ow) {
        return Gemm.VECTOR && c == 1 && sw == 1 && ow >= MR;
    }

    /**
     * Pre-activation outputs {@code out[(oy*ow + ox)*filters + f]} of one sample whose image ({@code h x w}, one
     * channel) is in {@code img}; {@code packedW} holds the {@code (kh*kw) x filters} kernel in NR-wide panels.
     */
    public static void forward(float[] img, int w, int kh, int kw, int sh, int oh, int ow, MemorySegment packedW, int filters,
                               MemorySegment out, long outOff, Gemm.Scratch s) {
        for (int oy = 0; oy < oh; oy++) forwardRow(img, w, kh, kw, sh, oy, ow, packedW, filters, out, outOff + (long) oy * ow * filters, s);
    }

    /** Output row {@code oy} ({@code ow x filters} pre-activations) of one sample, to {@code out} at float offset {@code rowOff}. */
    static void forwardRow(float[] img, int w, int kh, int kw, int sh, int oy, int ow, MemorySegment packedW, int filters,
                           MemorySegment out, long rowOff, Gemm.Scratch s) {
        MemorySegment tile = s.tile;
        int k = kh * kw;
        long ldc = (long) filters * 4;
        for (int x0 = 0; x0 < ow; x0 += MR) {
            // a ragged last block is moved left to end at ow: its first pixels are computed twice, identically
            int ox = Math.min(x0, ow - MR);
            int base = oy * sh * w + ox;
            long row = (rowOff + (long) ox * filters) * 4;
            for (int p = 0; p * NR < filters; p++) {
                int nr = Math.min(NR, filters - p * NR);
                long pw = (long) p * k * NR * 4;
                if (nr == NR) {
                    kernelForward(img, base, w, kh, kw, packedW, pw, out, row + (long) p * NR * 4, ldc);
                } else {
                    kernelForward(img, base, w, kh, kw, packedW, pw, tile, 0, NR * 4L);
                    Gemm.addTile(tile, out, row + (long) p * NR * 4, ldc, MR, nr, false);
                }
            }
        }
    }

    // ------------------------------------------------------------------ fused with 2 x 2 max pooling

    /** Byte lanes matching the float lanes, for the pooling window indices (null where no such shape exists). */
    static final VectorSpecies<Byte> BS = byteSpecies();

    private static VectorSpecies<Byte> byteSpecies() {
        try {
            return VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Whether a layer on this path ({@link #applies}) can run fused with a following 2 x 2, stride 2 max pooling:
     * ReLU or no activation (both commute with the max), and an even output size.
     */
    public static boolean poolFusionApplies(int c, int sw, int oh, int ow, boolean reluOrLinear) {
        return applies(c, sw, ow) && BS != null && reluOrLinear && oh % 2 == 0 && ow % 2 == 0;
    }

    /**
     * Convolution + bias + ReLU (or none) + 2 x 2 max pooling of one sample, without writing the convolution's
     * output: two output rows at a time go to {@code rows} ({@code 2*ow*filters} floats, stays in L1), are
     * activated and pooled from there. Writes the pooled outputs ({@code (oh/2) x (ow/2) x filters} at float offset
     * {@code outOff}) and, per pooled element, which of the window's four inputs won (0..3, row-major, ties to the
     * first) as a byte at {@code argmax[amOff + i]}, unless {@code argmax} is null (predict). Each value goes through
     * exactly the operations of the unfused layers (bias add, ReLU, then the pool's comparisons), so results are
     * bit-identical to them; without {@code argmax} and with ReLU the max comes first, which gives the same floats.
     */
    public static void forwardPooled(float[] img, int w, int kh, int kw, int sh, int oh, int ow, MemorySegment packedW, int filters,
                                     MemorySegment bias, long biasOff, boolean relu, MemorySegment rows,
                                     MemorySegment out, long outOff, MemorySegment argmax, long amOff, Gemm.Scratch s) {
        forwardPooled(img, w, kh, kw, sh, oh, ow, packedW, filters, bias, biasOff, relu, rows, out, outOff, argmax, amOff, s, 0, oh / 2);
    }

    /**
     * As {@link #forwardPooled(float[], int, int, int, int, int, int, MemorySegment, int, MemorySegment, long, boolean,
     * MemorySegment, MemorySegment, long, MemorySegment, long, Gemm.Scratch)}, for pooled rows {@code [py0, py1)} only:
     * every pooled row is computed on its own, so splitting the rows between threads gives the same bits.
     */
    public static void forwardPooled(float[] img, int w, int kh, int kw, int sh, int oh, int ow, MemorySegment packedW, int filters,
                                     MemorySegment bias, long biasOff, boolean relu, MemorySegment rows,
                                     MemorySegment out, long outOff, MemorySegment argmax, long amOff, Gemm.Scratch s, int py0, int py1) {
        int pw = ow / 2;
        long rowFloats = (long) ow * filters;
        FloatVector zero = FloatVector.zero(S), ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int py = py0; py < py1; py++) {
            forwardRow(img, w, kh, kw, sh, 2 * py, ow, packedW, filters, rows, 0, s);
            forwardRow(img, w, kh, kw, sh, 2 * py + 1, ow, packedW, filters, rows, rowFloats, s);
            if (filters % L == 0) {
                poolPair(rows, ow, filters, bias, biasOff, relu, out, outOff + (long) py * pw * filters,
                        argmax, amOff + (long) py * pw * filters);
                continue;
            }
            for (int px = 0; px < pw; px++) {
                long o = outOff + ((long) py * pw + px) * filters, am = amOff + ((long) py * pw + px) * filters;
                long t0 = (long) 2 * px * filters, t1 = t0 + filters, t2 = t0 + rowFloats, t3 = t2 + filters;
                int ch = 0;
                if (argmax == null && relu) {
                    // predict: no window index to keep, and with ReLU the max may come first: x -> relu(x + b) never
                    // decreases (rounding is monotonic) and never yields -0, so relu(max(x) + b) is the same float as
                    // max(relu(x + b)), with one add and one ReLU per output instead of four
                    for (; ch <= filters - L; ch += L) {
                        FloatVector b = FloatVector.fromMemorySegment(S, bias, (biasOff + ch) * 4, NO);
                        FloatVector m = FloatVector.fromMemorySegment(S, rows, (t0 + ch) * 4, NO)
                                .max(FloatVector.fromMemorySegment(S, rows, (t1 + ch) * 4, NO))
                                .max(FloatVector.fromMemorySegment(S, rows, (t2 + ch) * 4, NO))
                                .max(FloatVector.fromMemorySegment(S, rows, (t3 + ch) * 4, NO));
                        m.add(b).max(zero).intoMemorySegment(out, o * 4 + ch * 4L, NO);
                    }
                }
                for (; ch <= filters - L; ch += L) {
                    FloatVector b = FloatVector.fromMemorySegment(S, bias, (biasOff + ch) * 4, NO);
                    FloatVector best = ninf;
                    ByteVector bi = ByteVector.zero(BS);
                    for (int q = 0; q < 4; q++) {
                        long t = q == 0 ? t0 : q == 1 ? t1 : q == 2 ? t2 : t3;
                        FloatVector v = FloatVector.fromMemorySegment(S, rows, (t + ch) * 4, NO).add(b);
                        if (relu) v = v.max(zero);
                        VectorMask<Float> gt = v.compare(VectorOperators.GT, best);
                        best = best.blend(v, gt);
                        bi = bi.blend((byte) q, gt.cast(BS));
                    }
                    best.intoMemorySegment(out, o * 4 + ch * 4L, NO);
                    if (argmax != null) bi.intoMemorySegment(argmax, am + ch, NO);
                }
                for (; ch < filters; ch++) {
                    float b = bias.getAtIndex(F, biasOff + ch), best = Float.NEGATIVE_INFINITY;
                    byte bi = 0;
                    for (int q = 0; q < 4; q++) {
                        long t = q == 0 ? t0 : q == 1 ? t1 : q == 2 ? t2 : t3;
                        float v = rows.getAtIndex(F, t + ch) + b;
                        if (relu) v = v > 0 ? v : 0f;
                        if (v > best) { best = v; bi = (byte) q; }
                    }
                    out.setAtIndex(F, o + ch, best);
                    if (argmax != null) argmax.set(ValueLayout.JAVA_BYTE, am + ch, bi);
                }
            }
        }
    }

    /**
     * One pooled row of {@link #forwardPooled} from the two convolution rows in {@code rows}, when the filters are
     * whole vectors: one loop over the row's {@code (ow/2) * filters} outputs, a vector at a time. The same
     * operations per value as the loops over pixels and channels; those ran as a 2-trip inner loop per pixel, which
     * C2 wraps in pre- and post-loops (docs/performance.md, "The first convolution's 5-wide kernel written out").
     */
    private static void poolPair(MemorySegment rows, int ow, int filters, MemorySegment bias, long biasOff, boolean relu,
                                 MemorySegment out, long o, MemorySegment argmax, long am) {
        int n = ow / 2 * filters;
        long rowFloats = (long) ow * filters;
        FloatVector zero = FloatVector.zero(S), ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int ch = 0;
        long t = 0;  // 2*px*filters + ch: the window's top-left value in rows
        if (argmax == null && relu) {
            // predict with ReLU: the max first, then one bias add and one ReLU (see forwardPooled)
            for (int j = 0; j < n; j += L) {
                FloatVector b = FloatVector.fromMemorySegment(S, bias, (biasOff + ch) * 4, NO);
                FloatVector m = FloatVector.fromMemorySegment(S, rows, t * 4, NO)
                        .max(FloatVector.fromMemorySegment(S, rows, (t + filters) * 4, NO))
                        .max(FloatVector.fromMemorySegment(S, rows, (t + rowFloats) * 4, NO))
                        .max(FloatVector.fromMemorySegment(S, rows, (t + rowFloats + filters) * 4, NO));
                m.add(b).max(zero).intoMemorySegment(out, (o + j) * 4, NO);
                ch += L;
                t += L;
                if (ch == filters) { ch = 0; t += filters; }
            }
            return;
        }
        for (int j = 0; j < n; j += L) {
            FloatVector b = FloatVector.fromMemorySegment(S, bias, (biasOff + ch) * 4, NO);
            FloatVector best = ninf;
            ByteVector bi = ByteVector.zero(BS);
            for (int q = 0; q < 4; q++) {
                long tq = q == 0 ? t : q == 1 ? t + filters : q == 2 ? t + rowFloats : t + rowFloats + filters;
                FloatVector v = FloatVector.fromMemorySegment(S, rows, tq * 4, NO).add(b);
                if (relu) v = v.max(zero);
                VectorMask<Float> gt = v.compare(VectorOperators.GT, best);
                best = best.blend(v, gt);
                bi = bi.blend((byte) q, gt.cast(BS));
            }
            best.intoMemorySegment(out, (o + j) * 4, NO);
            if (argmax != null) bi.intoMemorySegment(argmax, am + j, NO);
            ch += L;
            t += L;
            if (ch == filters) { ch = 0; t += filters; }
        }
    }

    /**
     * The gradient w.r.t. the pre-activations of one sample's convolution, {@code (oh*ow) x filters} into
     * {@code dConv}, from its pooled outputs {@code pooled}, their gradient {@code dPooled} (both at float offset
     * {@code off}) and the window indices {@link #forwardPooled} recorded: a pooled gradient goes to the input that
     * won its window, masked by the ReLU's derivative there (taken from the pooled output, which is that input's
     * activation), 0 elsewhere. The same values the unfused max-pool and activation backward passes produce.
     */
    public static void pooledGradient(MemorySegment pooled, MemorySegment dPooled, long off, MemorySegment argmax, long amOff,
                                      int oh, int ow, int filters, boolean relu, MemorySegment dConv) {
        int pw = ow / 2, rowFloats = ow * filters;
        FloatVector zero = FloatVector.zero(S);
        for (int py = 0; py < oh / 2; py++) {
            if (filters % L == 0) {
                // whole vectors: one loop over the pooled row, as in poolPair
                long o = off + (long) py * pw * filters, am = amOff + (long) py * pw * filters;
                int ch = 0;
                long t = 2L * py * rowFloats;
                for (int j = 0; j < pw * filters; j += L) {
                    FloatVector g = FloatVector.fromMemorySegment(S, dPooled, (o + j) * 4, NO);
                    if (relu) g = g.blend(zero, FloatVector.fromMemorySegment(S, pooled, (o + j) * 4, NO).compare(VectorOperators.LE, 0f));
                    ByteVector bi = ByteVector.fromMemorySegment(BS, argmax, am + j, NO);
                    zero.blend(g, bi.eq((byte) 0).cast(S)).intoMemorySegment(dConv, t * 4, NO);
                    zero.blend(g, bi.eq((byte) 1).cast(S)).intoMemorySegment(dConv, (t + filters) * 4, NO);
                    zero.blend(g, bi.eq((byte) 2).cast(S)).intoMemorySegment(dConv, (t + rowFloats) * 4, NO);
                    zero.blend(g, bi.eq((byte) 3).cast(S)).intoMemorySegment(dConv, (t + rowFloats + filters) * 4, NO);
                    ch += L;
                    t += L;
                    if (ch == filters) { ch = 0; t += filters; }
                }
                continue;
            }
            for (int px = 0; px < pw; px++) {
                long o = off + ((long) py * pw + px) * filters, am = amOff + ((long) py * pw + px) * filters;
                int t0 = 2 * py * rowFloats + 2 * px * filters;
                int ch = 0;
                for (; ch <= filters - L; ch += L) {
                    FloatVector g = FloatVector.fromMemorySegment(S, dPooled, (o + ch) * 4, NO);
                    if (relu) g = g.blend(zero, FloatVector.fromMemorySegment(S, pooled, (o + ch) * 4, NO).compare(VectorOperators.LE, 0f));
                    ByteVector bi = ByteVector.fromMemorySegment(BS, argmax, am + ch, NO);
                    long t = (t0 + ch) * 4L;
                    zero.blend(g, bi.eq((byte) 0).cast(S)).intoMemorySegment(dConv, t, NO);
                    zero.blend(g, bi.eq((byte) 1).cast(S)).intoMemorySegment(dConv, t + filters * 4L, NO);
                    zero.blend(g, bi.eq((byte) 2).cast(S)).intoMemorySegment(dConv, t + rowFloats * 4L, NO);
                    zero.blend(g, bi.eq((byte) 3).cast(S)).intoMemorySegment(dConv, t + (rowFloats + filters) * 4L, NO);
                }
                for (; ch < filters; ch++) {
                    float g = dPooled.getAtIndex(F, o + ch);
                    if (relu && !(pooled.getAtIndex(F, o + ch) > 0)) g = 0f;
                    byte bi = argmax.get(ValueLayout.JAVA_BYTE, am + ch);
                    long t = t0 + ch;
                    dConv.setAtIndex(F, t, bi == 0 ? g : 0f);
                    dConv.setAtIndex(F, t + filters, bi == 1 ? g : 0f);
                    dConv.setAtIndex(F, t + rowFloats, bi == 2 ? g : 0f);
                    dConv.setAtIndex(F, t + rowFloats + filters, bi == 3 ? g : 0f);
                }
            }
        }
    }

    /** {@code sums[f] += dConv[i*filters + f]} over pixels {@code i} in order (the bias gradient). */
    public static void addColumnSums(MemorySegment dConv, int pixels, int filters, MemorySegment sums, long sumsOff) {
        int ch = 0;
        for (; ch <= filters - L; ch += L) {
            FloatVector acc = FloatVector.fromMemorySegment(S, sums, (sumsOff + ch) * 4, NO);
            for (int i = 0; i < pixels; i++) acc = acc.add(FloatVector.fromMemorySegment(S, dConv, ((long) i * filters + ch) * 4, NO));
            acc.intoMemorySegment(sums, (sumsOff + ch) * 4, NO);
        }
        for (; ch < filters; ch++) {
            float acc = sums.getAtIndex(F, sumsOff + ch);
            for (int i = 0; i < pixels; i++) acc += dConv.getAtIndex(F, (long) i * filters + ch);
            sums.setAtIndex(F, sumsOff + ch, acc);
        }
    }

    /**
     * Adds one sample's kernel gradient, {@code dW[ky*kw + kx][f] += sum over pixels of x[oy*sh + ky][ox + kx] *
     * dOut[(oy*ow + ox)][f]}, onto {@code dw} (row-major {@code (kh*kw) x filters}, at float offset {@code dwOff}).
     * {@code dOutPanel} is scratch of {@code oh*ow*NR} floats.
     */
    public static void kernelGradient(float[] img, int w, int kh, int kw, int sh, int oh, int ow,
                                      MemorySegment dOut, long dOutOff, int filters, MemorySegment dOutPanel,
                                      MemorySegment dw, long dwOff, Gemm.Scratch s) {
        int pixels = oh * ow;
        for (int p = 0; p * NR < filters; p++) {
            int nr = Math.min(NR, filters - p * NR);
            // this panel of dOut, NR floats per pixel (zero-padded), so the kernel's loads have a constant stride
            if (nr == NR && filters == NR) {
                MemorySegment.copy(dOut, dOutOff * 4, dOutPanel, 0, (long) pixels * NR * 4);
            } else {
                for (int i = 0; i < pixels; i++) {
                    MemorySegment.copy(dOut, (dOutOff + (long) i * filters + p * NR) * 4, dOutPanel, (long) i * NR * 4, nr * 4L);
                    if (nr < NR) dOutPanel.asSlice(((long) i * NR + nr) * 4, (NR - nr) * 4L).fill((byte) 0);
                }
            }
            kernelGradientPanel(img, w, kh, kw, sh, oh, ow, dOutPanel, p, nr, filters, dw, dwOff, s);
        }
    }

    /**
     * The same, with the gradient {@code dConv[i*filters + f]} of one sample in its own buffer; when
     * {@code filters == NR} it is already the one panel and is read in place.
     */
    public static void kernelGradient(float[] img, int w, int kh, int kw, int sh, int oh, int ow,
                                      MemorySegment dConv, int filters, MemorySegment dOutPanel, MemorySegment dw, long dwOff, Gemm.Scratch s) {
        if (filters == NR) kernelGradientPanel(img, w, kh, kw, sh, oh, ow, dConv, 0, NR, filters, dw, dwOff, s);
        else kernelGradient(img, w, kh, kw, sh, oh, ow, dConv, 0, filters, dOutPanel, dw, dwOff, s);
    }

    /** Adds panel {@code p} ({@code nr} real filters, NR floats per pixel in {@code panel}) of the kernel gradient. */
    private static void kernelGradientPanel(float[] img, int w, int kh, int kw, int sh, int oh, int ow, MemorySegment panel,
                                            int p, int nr, int filters, MemorySegment dw, long dwOff, Gemm.Scratch s) {
        MemorySegment tile = s.tile;
        int k = kh * kw;
        long ldc = (long) filters * 4;
        int[] offs = s.taps;
        for (int k0 = 0; k0 < k; k0 += MR) {
            int mr = Math.min(MR, k - k0);
            for (int r = 0; r < MR; r++) {
                int t = k0 + Math.min(r, mr - 1);  // rows past the last tap repeat it; they are not stored
                offs[r] = (t / kw) * w + t % kw;
            }
            long dst = (dwOff + (long) k0 * filters + p * NR) * 4;
            kernelGradientTile(img, offs, sh * w, oh, ow, panel, tile);
            Gemm.addTile(tile, dw, dst, ldc, mr, nr, true);
        }
    }

    /** MR pixels along x (at {@code base}, {@code base+1}, ...) times one filter panel, summed over the kh x kw taps. */
    static void kernelForward(float[] img, int base, int w, int kh, int kw, MemorySegment pw, long pwStart,
                              MemorySegment c, long cByte, long ldcBytes) {
        if (kw == 5) {
            // the tutorial's 5 x 5 kernels: with the five taps along x written out, each image value is loaded once
            // per kernel row and C2 runs no 5-trip inner loop (its pre- and post-loops kept the range checks); the
            // tutorial's first layer with its pooling: 9.2 -> 5.7 us per image on one thread (FirstConvProfile)
            if (Gemm.HALVES) {
                kernelForward4k5(img, base, w, kh, pw, pwStart, c, cByte, ldcBytes);
                kernelForward4k5(img, base + 4, w, kh, pw, pwStart, c, cByte + 4 * ldcBytes, ldcBytes);
            } else {
                kernelForward8k5(img, base, w, kh, pw, pwStart, c, cByte, ldcBytes);
            }
            return;
        }
        if (Gemm.HALVES) {
            kernelForward4(img, base, w, kh, kw, pw, pwStart, c, cByte, ldcBytes);
            kernelForward4(img, base + 4, w, kh, kw, pw, pwStart, c, cByte + 4 * ldcBytes, ldcBytes);
        } else {
            kernelForward8(img, base, w, kh, kw, pw, pwStart, c, cByte, ldcBytes);
        }
    }

    /** The whole tile at once: 16 accumulators. */
    static void kernelForward8(float[] img, int base, int w, int kh, int kw, MemorySegment pw, long pwStart,
                               MemorySegment c, long cByte, long ldcBytes) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int ky = 0; ky < kh; ky++) {
            int ab = base + ky * w;
            long bb = pwStart + (long) ky * kw * NR * 4;
            for (int kx = 0; kx < kw; kx++) {
                int ao = ab + kx;
                long bo = bb + (long) kx * (NR * 4);
                FloatVector b0 = FloatVector.fromMemorySegment(S, pw, bo, NO);
                FloatVector b1 = FloatVector.fromMemorySegment(S, pw, bo + L * 4, NO);
                FloatVector v = FloatVector.broadcast(S, img[ao]);
                c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
                v = FloatVector.broadcast(S, img[ao + 1]);
                c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
                v = FloatVector.broadcast(S, img[ao + 2]);
                c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
                v = FloatVector.broadcast(S, img[ao + 3]);
                c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
                v = FloatVector.broadcast(S, img[ao + 4]);
                c40 = b0.fma(v, c40); c41 = b1.fma(v, c41);
                v = FloatVector.broadcast(S, img[ao + 5]);
                c50 = b0.fma(v, c50); c51 = b1.fma(v, c51);
                v = FloatVector.broadcast(S, img[ao + 6]);
                c60 = b0.fma(v, c60); c61 = b1.fma(v, c61);
                v = FloatVector.broadcast(S, img[ao + 7]);
                c70 = b0.fma(v, c70); c71 = b1.fma(v, c71);
            }
        }
        long r = cByte;
        c00.intoMemorySegment(c, r, NO); c01.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c10.intoMemorySegment(c, r, NO); c11.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c20.intoMemorySegment(c, r, NO); c21.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c30.intoMemorySegment(c, r, NO); c31.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c40.intoMemorySegment(c, r, NO); c41.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c50.intoMemorySegment(c, r, NO); c51.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c60.intoMemorySegment(c, r, NO); c61.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c70.intoMemorySegment(c, r, NO); c71.intoMemorySegment(c, r + L * 4L, NO);
    }

    /** {@link #kernelForward8} for a 5-wide kernel, the taps along x unrolled: 16 accumulators. */
    static void kernelForward8k5(float[] img, int base, int w, int kh, MemorySegment pw, long pwStart,
                                 MemorySegment c, long cByte, long ldcBytes) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int ky = 0; ky < kh; ky++) {
            int ab = base + ky * w;
            long bo = pwStart + (long) ky * 5 * NR * 4;
            float x0 = img[ab], x1 = img[ab + 1], x2 = img[ab + 2], x3 = img[ab + 3], x4 = img[ab + 4], x5 = img[ab + 5];
            float x6 = img[ab + 6], x7 = img[ab + 7], x8 = img[ab + 8], x9 = img[ab + 9], x10 = img[ab + 10], x11 = img[ab + 11];
            FloatVector b0, b1, v;
            b0 = FloatVector.fromMemorySegment(S, pw, bo, NO); b1 = FloatVector.fromMemorySegment(S, pw, bo + L * 4, NO);
            v = FloatVector.broadcast(S, x0); c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, x1); c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, x2); c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, x3); c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            v = FloatVector.broadcast(S, x4); c40 = b0.fma(v, c40); c41 = b1.fma(v, c41);
            v = FloatVector.broadcast(S, x5); c50 = b0.fma(v, c50); c51 = b1.fma(v, c51);
            v = FloatVector.broadcast(S, x6); c60 = b0.fma(v, c60); c61 = b1.fma(v, c61);
            v = FloatVector.broadcast(S, x7); c70 = b0.fma(v, c70); c71 = b1.fma(v, c71);
            bo += NR * 4;
            b0 = FloatVector.fromMemorySegment(S, pw, bo, NO); b1 = FloatVector.fromMemorySegment(S, pw, bo + L * 4, NO);
            v = FloatVector.broadcast(S, x1); c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, x2); c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, x3); c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, x4); c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            v = FloatVector.broadcast(S, x5); c40 = b0.fma(v, c40); c41 = b1.fma(v, c41);
            v = FloatVector.broadcast(S, x6); c50 = b0.fma(v, c50); c51 = b1.fma(v, c51);
            v = FloatVector.broadcast(S, x7); c60 = b0.fma(v, c60); c61 = b1.fma(v, c61);
            v = FloatVector.broadcast(S, x8); c70 = b0.fma(v, c70); c71 = b1.fma(v, c71);
            bo += NR * 4;
            b0 = FloatVector.fromMemorySegment(S, pw, bo, NO); b1 = FloatVector.fromMemorySegment(S, pw, bo + L * 4, NO);
            v = FloatVector.broadcast(S, x2); c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, x3); c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, x4); c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, x5); c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            v = FloatVector.broadcast(S, x6); c40 = b0.fma(v, c40); c41 = b1.fma(v, c41);
            v = FloatVector.broadcast(S, x7); c50 = b0.fma(v, c50); c51 = b1.fma(v, c51);
            v = FloatVector.broadcast(S, x8); c60 = b0.fma(v, c60); c61 = b1.fma(v, c61);
            v = FloatVector.broadcast(S, x9); c70 = b0.fma(v, c70); c71 = b1.fma(v, c71);
            bo += NR * 4;
            b0 = FloatVector.fromMemorySegment(S, pw, bo, NO); b1 = FloatVector.fromMemorySegment(S, pw, bo + L * 4, NO);
            v = FloatVector.broadcast(S, x3); c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, x4); c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, x5); c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, x6); c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            v = FloatVector.broadcast(S, x7); c40 = b0.fma(v, c40); c41 = b1.fma(v, c41);
            v = FloatVector.broadcast(S, x8); c50 = b0.fma(v, c50); c51 = b1.fma(v, c51);
            v = FloatVector.broadcast(S, x9); c60 = b0.fma(v, c60); c61 = b1.fma(v, c61);
            v = FloatVector.broadcast(S, x10); c70 = b0.fma(v, c70); c71 = b1.fma(v, c71);
            bo += NR * 4;
            b0 = FloatVector.fromMemorySegment(S, pw, bo, NO); b1 = FloatVector.fromMemorySegment(S, pw, bo + L * 4, NO);
            v = FloatVector.broadcast(S, x4); c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, x5); c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, x6); c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, x7); c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            v = FloatVector.broadcast(S, x8); c40 = b0.fma(v, c40); c41 = b1.fma(v, c41);
            v = FloatVector.broadcast(S, x9); c50 = b0.fma(v, c50); c51 = b1.fma(v, c51);
            v = FloatVector.broadcast(S, x10); c60 = b0.fma(v, c60); c61 = b1.fma(v, c61);
            v = FloatVector.broadcast(S, x11); c70 = b0.fma(v, c70); c71 = b1.fma(v, c71);
        }
        long r = cByte;
        c00.intoMemorySegment(c, r, NO); c01.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c10.intoMemorySegment(c, r, NO); c11.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c20.intoMemorySegment(c, r, NO); c21.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c30.intoMemorySegment(c, r, NO); c31.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c40.intoMemorySegment(c, r, NO); c41.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c50.intoMemorySegment(c, r, NO); c51.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c60.intoMemorySegment(c, r, NO); c61.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c70.intoMemorySegment(c, r, NO); c71.intoMemorySegment(c, r + L * 4L, NO);
    }

    /** {@link #kernelForward4} for a 5-wide kernel, the taps along x unrolled: 8 accumulators ({@link Gemm#HALVES}). */
    static void kernelForward4k5(float[] img, int base, int w, int kh, MemorySegment pw, long pwStart,
                                 MemorySegment c, long cByte, long ldcBytes) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int ky = 0; ky < kh; ky++) {
            int ab = base + ky * w;
            long bo = pwStart + (long) ky * 5 * NR * 4;
            float x0 = img[ab], x1 = img[ab + 1], x2 = img[ab + 2], x3 = img[ab + 3], x4 = img[ab + 4], x5 = img[ab + 5];
            float x6 = img[ab + 6], x7 = img[ab + 7];
            FloatVector b0, b1, v;
            b0 = FloatVector.fromMemorySegment(S, pw, bo, NO); b1 = FloatVector.fromMemorySegment(S, pw, bo + L * 4, NO);
            v = FloatVector.broadcast(S, x0); c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, x1); c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, x2); c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, x3); c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            bo += NR * 4;
            b0 = FloatVector.fromMemorySegment(S, pw, bo, NO); b1 = FloatVector.fromMemorySegment(S, pw, bo + L * 4, NO);
            v = FloatVector.broadcast(S, x1); c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, x2); c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, x3); c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, x4); c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            bo += NR * 4;
            b0 = FloatVector.fromMemorySegment(S, pw, bo, NO); b1 = FloatVector.fromMemorySegment(S, pw, bo + L * 4, NO);
            v = FloatVector.broadcast(S, x2); c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, x3); c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, x4); c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, x5); c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            bo += NR * 4;
            b0 = FloatVector.fromMemorySegment(S, pw, bo, NO); b1 = FloatVector.fromMemorySegment(S, pw, bo + L * 4, NO);
            v = FloatVector.broadcast(S, x3); c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, x4); c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, x5); c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, x6); c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            bo += NR * 4;
            b0 = FloatVector.fromMemorySegment(S, pw, bo, NO); b1 = FloatVector.fromMemorySegment(S, pw, bo + L * 4, NO);
            v = FloatVector.broadcast(S, x4); c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, x5); c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, x6); c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, x7); c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
        }
        long r = cByte;
        c00.intoMemorySegment(c, r, NO); c01.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c10.intoMemorySegment(c, r, NO); c11.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c20.intoMemorySegment(c, r, NO); c21.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c30.intoMemorySegment(c, r, NO); c31.intoMemorySegment(c, r + L * 4L, NO);
    }

    /**
     * MR kernel taps (image offsets {@code offs}) times one filter panel of dOut, summed over all pixels of one
     * sample, into the MR x NR {@code tile}.
     */
    static void kernelGradientTile(float[] img, int[] offs, int rowStep, int oh, int ow, MemorySegment dout, MemorySegment tile) {
        if (Gemm.HALVES) {
            kernelGradientTile4(img, offs[0], offs[1], offs[2], offs[3], rowStep, oh, ow, dout, tile, 0);
            kernelGradientTile4(img, offs[4], offs[5], offs[6], offs[7], rowStep, oh, ow, dout, tile, 4 * NR * 4L);
        } else {
            kernelGradientTile8(img, offs, rowStep, oh, ow, dout, tile);
        }
    }

    /** The whole tile at once: 16 accumulators. */
    static void kernelGradientTile8(float[] img, int[] offs, int rowStep, int oh, int ow, MemorySegment dout, MemorySegment tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        int o0 = offs[0], o1 = offs[1], o2 = offs[2], o3 = offs[3], o4 = offs[4], o5 = offs[5], o6 = offs[6], o7 = offs[7];
        for (int oy = 0; oy < oh; oy++) {
            int ab = oy * rowStep;
            long bb = (long) oy * ow * NR * 4;
            for (int ox = 0; ox < ow; ox++) {
                int ao = ab + ox;
                long bo = bb + (long) ox * (NR * 4);
                FloatVector b0 = FloatVector.fromMemorySegment(S, dout, bo, NO);
                FloatVector b1 = FloatVector.fromMemorySegment(S, dout, bo + L * 4, NO);
                FloatVector v = FloatVector.broadcast(S, img[ao + o0]);
                c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
                v = FloatVector.broadcast(S, img[ao + o1]);
                c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
                v = FloatVector.broadcast(S, img[ao + o2]);
                c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
                v = FloatVector.broadcast(S, img[ao + o3]);
                c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
                v = FloatVector.broadcast(S, img[ao + o4]);
                c40 = b0.fma(v, c40); c41 = b1.fma(v, c41);
                v = FloatVector.broadcast(S, img[ao + o5]);
                c50 = b0.fma(v, c50); c51 = b1.fma(v, c51);
                v = FloatVector.broadcast(S, img[ao + o6]);
                c60 = b0.fma(v, c60); c61 = b1.fma(v, c61);
                v = FloatVector.broadcast(S, img[ao + o7]);
                c70 = b0.fma(v, c70); c71 = b1.fma(v, c71);
            }
        }
        long r = 0, ld = NR * 4L;
        c00.intoMemorySegment(tile, r, NO); c01.intoMemorySegment(tile, r + L * 4L, NO); r += ld;
        c10.intoMemorySegment(tile, r, NO); c11.intoMemorySegment(tile, r + L * 4L, NO); r += ld;
        c20.intoMemorySegment(tile, r, NO); c21.intoMemorySegment(tile, r + L * 4L, NO); r += ld;
        c30.intoMemorySegment(tile, r, NO); c31.intoMemorySegment(tile, r + L * 4L, NO); r += ld;
        c40.intoMemorySegment(tile, r, NO); c41.intoMemorySegment(tile, r + L * 4L, NO); r += ld;
        c50.intoMemorySegment(tile, r, NO); c51.intoMemorySegment(tile, r + L * 4L, NO); r += ld;
        c60.intoMemorySegment(tile, r, NO); c61.intoMemorySegment(tile, r + L * 4L, NO); r += ld;
        c70.intoMemorySegment(tile, r, NO); c71.intoMemorySegment(tile, r + L * 4L, NO);
    }

    /** {@link #kernelForward} for 4 pixels along x: 8 accumulators ({@link Gemm#HALVES}). */
    static void kernelForward4(float[] img, int base, int w, int kh, int kw, MemorySegment pw, long pwStart,
                               MemorySegment c, long cByte, long ldcBytes) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int ky = 0; ky < kh; ky++) {
            int ab = base + ky * w;
            long bb = pwStart + (long) ky * kw * NR * 4;
            for (int kx = 0; kx < kw; kx++) {
                int ao = ab + kx;
                long bo = bb + (long) kx * (NR * 4);
                FloatVector b0 = FloatVector.fromMemorySegment(S, pw, bo, NO);
                FloatVector b1 = FloatVector.fromMemorySegment(S, pw, bo + L * 4, NO);
                FloatVector v = FloatVector.broadcast(S, img[ao]);
                c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
                v = FloatVector.broadcast(S, img[ao + 1]);
                c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
                v = FloatVector.broadcast(S, img[ao + 2]);
                c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
                v = FloatVector.broadcast(S, img[ao + 3]);
                c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            }
        }
        long r = cByte;
        c00.intoMemorySegment(c, r, NO); c01.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c10.intoMemorySegment(c, r, NO); c11.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c20.intoMemorySegment(c, r, NO); c21.intoMemorySegment(c, r + L * 4L, NO); r += ldcBytes;
        c30.intoMemorySegment(c, r, NO); c31.intoMemorySegment(c, r + L * 4L, NO);
    }

    /** {@link #kernelGradientTile} for 4 kernel taps, into the tile's rows from byte {@code tileByte}: 8 accumulators. */
    static void kernelGradientTile4(float[] img, int o0, int o1, int o2, int o3, int rowStep, int oh, int ow, MemorySegment dout,
                                    MemorySegment tile, long tileByte) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int oy = 0; oy < oh; oy++) {
            int ab = oy * rowStep;
            long bb = (long) oy * ow * NR * 4;
            for (int ox = 0; ox < ow; ox++) {
                int ao = ab + ox;
                long bo = bb + (long) ox * (NR * 4);
                FloatVector b0 = FloatVector.fromMemorySegment(S, dout, bo, NO);
                FloatVector b1 = FloatVector.fromMemorySegment(S, dout, bo + L * 4, NO);
                FloatVector v = FloatVector.broadcast(S, img[ao + o0]);
                c00 = b0.fma(v, c00); c01 = b1.fma(v, c01);
                v = FloatVector.broadcast(S, img[ao + o1]);
                c10 = b0.fma(v, c10); c11 = b1.fma(v, c11);
                v = FloatVector.broadcast(S, img[ao + o2]);
                c20 = b0.fma(v, c20); c21 = b1.fma(v, c21);
                v = FloatVector.broadcast(S, img[ao + o3]);
                c30 = b0.fma(v, c30); c31 = b1.fma(v, c31);
            }
        }
        long r = tileByte, ld = NR * 4L;
        c00.intoMemorySegment(tile, r, NO); c01.intoMemorySegment(tile, r + L * 4L, NO); r += ld;
        c10.intoMemorySegment(tile, r, NO); c11.intoMemorySegment(tile, r + L * 4L, NO); r += ld;
        c20.intoMemorySegment(tile, r, NO); c21.intoMemorySegment(tile, r + L * 4L, NO); r += ld;
        c30.intoMemorySegment(tile, r, NO); c31.intoMemorySegment(tile, r + L * 4L, NO);
    }
}
