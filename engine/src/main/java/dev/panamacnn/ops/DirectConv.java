package dev.panamacnn.ops;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

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
 * <p>The two kernels repeat the GEMM micro-kernel's accumulator code rather than share it: their inner loops
 * index the image differently, C2 drops the bounds checks only for indices linear in the loop counter with
 * constant factors, and handing the sixteen accumulators to a helper makes C2 box them (Gemm's kernel notes).
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
    public static void forward(float[] img, int w, int kh, int kw, int sh, int oh, int ow, float[] packedW, int filters,
                               MemorySegment out, long outOff, Gemm.Scratch s) {
        MemorySegment tile = s.tile;
        int k = kh * kw;
        long ldc = (long) filters * 4;
        for (int oy = 0; oy < oh; oy++) {
            for (int x0 = 0; x0 < ow; x0 += MR) {
                // a ragged last block is moved left to end at ow: its first pixels are computed twice, identically
                int ox = Math.min(x0, ow - MR);
                int base = oy * sh * w + ox;
                long row = (outOff + (long) (oy * ow + ox) * filters) * 4;
                for (int p = 0; p * NR < filters; p++) {
                    int nr = Math.min(NR, filters - p * NR);
                    if (nr == NR) {
                        kernelForward(img, base, w, kh, kw, packedW, p * k * NR, out, row + (long) p * NR * 4, ldc);
                    } else {
                        kernelForward(img, base, w, kh, kw, packedW, p * k * NR, tile, 0, NR * 4L);
                        Gemm.addTile(tile, out, row + (long) p * NR * 4, ldc, MR, nr, false);
                    }
                }
            }
        }
    }

    /**
     * Adds one sample's kernel gradient, {@code dW[ky*kw + kx][f] += sum over pixels of x[oy*sh + ky][ox + kx] *
     * dOut[(oy*ow + ox)][f]}, onto {@code dw} (row-major {@code (kh*kw) x filters}, at float offset {@code dwOff}).
     * {@code dOutPanel} is scratch of {@code oh*ow*NR} floats.
     */
    public static void kernelGradient(float[] img, int w, int kh, int kw, int sh, int oh, int ow,
                                      MemorySegment dOut, long dOutOff, int filters, float[] dOutPanel,
                                      MemorySegment dw, long dwOff, Gemm.Scratch s) {
        MemorySegment tile = s.tile;
        int k = kh * kw, pixels = oh * ow;
        long ldc = (long) filters * 4;
        int[] offs = s.taps;
        for (int p = 0; p * NR < filters; p++) {
            int nr = Math.min(NR, filters - p * NR);
            // this panel of dOut, NR floats per pixel (zero-padded), so the kernel's loads have a constant stride
            if (nr == NR && filters == NR) {
                MemorySegment.copy(dOut, F, dOutOff * 4, dOutPanel, 0, pixels * NR);
            } else {
                for (int i = 0; i < pixels; i++) {
                    MemorySegment.copy(dOut, F, (dOutOff + (long) i * filters + p * NR) * 4, dOutPanel, i * NR, nr);
                    java.util.Arrays.fill(dOutPanel, i * NR + nr, i * NR + NR, 0f);
                }
            }
            for (int k0 = 0; k0 < k; k0 += MR) {
                int mr = Math.min(MR, k - k0);
                for (int r = 0; r < MR; r++) {
                    int t = k0 + Math.min(r, mr - 1);  // rows past the last tap repeat it; they are not stored
                    offs[r] = (t / kw) * w + t % kw;
                }
                long dst = (dwOff + (long) k0 * filters + p * NR) * 4;
                kernelGradientTile(img, offs, sh * w, oh, ow, dOutPanel, tile);
                Gemm.addTile(tile, dw, dst, ldc, mr, nr, true);
            }
        }
    }

    /** MR pixels along x (at {@code base}, {@code base+1}, ...) times one filter panel, summed over the kh x kw taps. */
    static void kernelForward(float[] img, int base, int w, int kh, int kw, float[] pw, int pwStart,
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
            int ab = base + ky * w, bb = pwStart + ky * kw * NR;
            for (int kx = 0; kx < kw; kx++) {
                int ao = ab + kx, bo = bb + kx * NR;
                FloatVector b0 = FloatVector.fromArray(S, pw, bo);
                FloatVector b1 = FloatVector.fromArray(S, pw, bo + L);
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

    /**
     * MR kernel taps (image offsets {@code offs}) times one filter panel of dOut, summed over all pixels of one
     * sample, into the MR x NR {@code tile}.
     */
    static void kernelGradientTile(float[] img, int[] offs, int rowStep, int oh, int ow, float[] dout, MemorySegment tile) {
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
            int ab = oy * rowStep, bb = oy * ow * NR;
            for (int ox = 0; ox < ow; ox++) {
                int ao = ab + ox, bo = bb + ox * NR;
                FloatVector b0 = FloatVector.fromArray(S, dout, bo);
                FloatVector b1 = FloatVector.fromArray(S, dout, bo + L);
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
}
