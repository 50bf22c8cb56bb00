package dev.panamacnn.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import java.lang.foreign.MemorySegment;

import static dev.panamacnn.ops.Vec.F;
import static dev.panamacnn.ops.Vec.L;
import static dev.panamacnn.ops.Vec.NO;
import static dev.panamacnn.ops.Vec.S;

/**
 * The data movement around convolution-as-GEMM, for NHWC inputs, "valid" padding and strides
 * {@code (sh, sw)}: {@code im2col} lays every receptive field out as one row of {@code K = kh*kw*c}
 * floats in {@code (kh, kw, c)} order, which matches the row order of a Keras kernel {@code (KH, KW, Cin, Cout)}
 * viewed as a {@code K x Cout} matrix; {@code col2im} is its adjoint (scatter-add).
 */
public final class ConvOps {
    private ConvOps() {}

    /**
     * Rows for samples {@code [0, n)} of {@code x} (starting at float offset {@code xOff}) into {@code cols}. The
     * engine no longer stores this matrix ({@link Receptive} packs its blocks from the image); it stays as the
     * reference {@code ReceptiveTest} and {@code ConvChunkBench} compare against.
     */
    public static void im2col(MemorySegment x, long xOff, int n, int h, int w, int c, int kh, int kw, int sh, int sw,
                              int oh, int ow, MemorySegment cols, long colsOff) {
        int k = kh * kw * c, run = kw * c;
        long row = colsOff;
        for (int s = 0; s < n; s++) {
            long xs = xOff + (long) s * h * w * c;
            for (int y = 0; y < oh; y++) {
                for (int xq = 0; xq < ow; xq++, row += k) {
                    long base = xs + ((long) (y * sh) * w + (long) xq * sw) * c;
                    for (int i = 0; i < kh; i++) {
                        Vec.copy(x, base + (long) i * w * c, cols, row + (long) i * run, run);
                    }
                }
            }
        }
    }

    /** Adds every row of {@code dcols} back onto the input positions it was read from ({@code dx} must be zeroed). */
    public static void col2imAdd(MemorySegment dcols, long colsOff, int n, int h, int w, int c, int kh, int kw, int sh, int sw,
                                 int oh, int ow, MemorySegment dx, long dxOff) {
        int k = kh * kw * c, run = kw * c;
        long row = colsOff;
        for (int s = 0; s < n; s++) {
            long xs = dxOff + (long) s * h * w * c;
            for (int y = 0; y < oh; y++) {
                for (int xq = 0; xq < ow; xq++, row += k) {
                    long base = xs + ((long) (y * sh) * w + (long) xq * sw) * c;
                    for (int i = 0; i < kh; i++) {
                        Vec.add(dcols, row + (long) i * run, dx, base + (long) i * w * c, run);
                    }
                }
            }
        }
    }

    /**
     * The im2col matrix of a run of samples as a GEMM operand that is never stored: {@link Gemm.PackA} packs each
     * block of it straight from the image, one contiguous run of a receptive-field row ({@code kw*c} floats) at a
     * time. The packed blocks are exactly those im2col + {@link Gemm}'s own copy would give, so products are
     * bit-identical to the im2col path, without writing and re-reading the {@code rows x kh*kw*c} matrix (800 KB per
     * 256-row chunk of conv2d_1). One instance per worker; {@link #at} points it at a chunk's first sample.
     */
    public static final class Receptive implements Gemm.PackA {
        private final int h, w, c, kw, sh, sw, oh, ow, run;
        /**
         * When every vector of L columns lies inside one kernel row's run ({@code kw*c % L == 0}): per vector of
         * columns, its offset from the receptive field's origin, and per row (up to {@code maxRows}) that origin's
         * offset from the first sample's start; packing is then one vector copy per L floats, with no arithmetic.
         */
        private final int[] columnOffset, rowOrigin;
        private MemorySegment x;
        private long xOff;

        public Receptive(int h, int w, int c, int kh, int kw, int sh, int sw, int oh, int ow, int maxRows) {
            this.h = h; this.w = w; this.c = c; this.kw = kw; this.sh = sh; this.sw = sw; this.oh = oh; this.ow = ow;
            this.run = kw * c;
            if (Gemm.VECTOR && run % L == 0 && (long) maxRows * h * w * c < Integer.MAX_VALUE) {
                columnOffset = new int[kh * run / L];
                for (int v = 0; v < columnOffset.length; v++) {
                    int k = v * L, ky = k / run;
                    columnOffset[v] = ky * w * c + (k - ky * run);
                }
                rowOrigin = new int[maxRows];
                for (int i = 0; i < maxRows; i++) rowOrigin[i] = (int) offset(i);
            } else {
                columnOffset = null;
                rowOrigin = null;
            }
        }

        /** Rows from here on are the receptive fields of the samples starting at float offset {@code xOff} of {@code x}. */
        public Receptive at(MemorySegment x, long xOff) {
            this.x = x;
            this.xOff = xOff;
            return this;
        }

        /** Float offset in {@code x} of row {@code i}'s receptive field (its first kernel row). */
        private long origin(int i) {
            return xOff + offset(i);
        }

        /** The same, from the first sample's start. */
        private long offset(int i) {
            int pixels = oh * ow, smp = i / pixels, rem = i - smp * pixels, oy = rem / ow, ox = rem - oy * ow;
            return (long) smp * h * w * c + ((long) (oy * sh) * w + (long) ox * sw) * c;
        }

        /** Columns {@code [k0, k0+len)} of row {@code i} into {@code dst} from {@code d}, a kernel row's run at a time. */
        private void row(int i, int k0, int len, float[] dst, int d) {
            long o = origin(i);
            for (int k = k0, end = k0 + len; k < end; ) {
                int ky = k / run, off = k - ky * run, n = Math.min(run - off, end - k);
                copy(x, o + (long) ky * w * c + off, dst, d + (k - k0), n);
                k += n;
            }
        }

        @Override public void pack(boolean transA, int ic, int pc, int mc, int kc, float[] dst) {
            int padded = (mc + Gemm.MR - 1) / Gemm.MR * Gemm.MR;
            if (columnOffset != null && !transA && pc % L == 0 && kc % L == 0 && ic + mc <= rowOrigin.length) {
                int v0 = pc / L, v1 = (pc + kc) / L;
                for (int i = 0; i < mc; i++) {
                    long base = xOff + rowOrigin[ic + i];
                    for (int v = v0, d = i * Gemm.KC; v < v1; v++, d += L) {
                        FloatVector.fromMemorySegment(S, x, (base + columnOffset[v]) * 4, NO).intoArray(dst, d);
                    }
                }
                for (int i = mc; i < padded; i++) java.util.Arrays.fill(dst, i * Gemm.KC, i * Gemm.KC + kc, 0f);
                return;
            }
            if (columnOffset != null && transA && ic % L == 0 && mc % L == 0 && pc + kc <= rowOrigin.length) {
                int v0 = ic / L, v1 = (ic + mc) / L;
                for (int kk = 0; kk < kc; kk++) {
                    long base = xOff + rowOrigin[pc + kk];
                    for (int v = v0, d = kk * Gemm.MC; v < v1; v++, d += L) {
                        FloatVector.fromMemorySegment(S, x, (base + columnOffset[v]) * 4, NO).intoArray(dst, d);
                    }
                    if (padded > mc) java.util.Arrays.fill(dst, kk * Gemm.MC + mc, kk * Gemm.MC + padded, 0f);
                }
                return;
            }
            if (!transA) {
                // op(A) = im2col: row i is pixel ic+i, columns [pc, pc+kc)
                for (int i = 0; i < mc; i++) row(ic + i, pc, kc, dst, i * Gemm.KC);
                for (int i = mc; i < padded; i++) java.util.Arrays.fill(dst, i * Gemm.KC, i * Gemm.KC + kc, 0f);
            } else {
                // op(A) = im2col transposed: column kk is pixel pc+kk, rows [ic, ic+mc)
                for (int kk = 0; kk < kc; kk++) {
                    row(pc + kk, ic, mc, dst, kk * Gemm.MC);
                    if (padded > mc) java.util.Arrays.fill(dst, kk * Gemm.MC + mc, kk * Gemm.MC + padded, 0f);
                }
            }
        }

        private static void copy(MemorySegment src, long s, float[] dst, int d, int n) {
            if (!Gemm.VECTOR) {
                MemorySegment.copy(src, F, s * 4, dst, d, n);
                return;
            }
            int j = 0;
            for (; j <= n - L; j += L) FloatVector.fromMemorySegment(S, src, (s + j) * 4, NO).intoArray(dst, d + j);
            if (j < n) {
                VectorMask<Float> m = S.indexInRange(j, n);
                FloatVector.fromMemorySegment(S, src, (s + j) * 4, NO, m).intoArray(dst, d + j, m);
            }
        }
    }
}
