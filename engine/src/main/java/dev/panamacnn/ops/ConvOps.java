package dev.panamacnn.ops;

import java.lang.foreign.MemorySegment;

/**
 * The data movement around convolution-as-GEMM, for NHWC inputs, "valid" padding and strides
 * {@code (sh, sw)}: {@code im2col} lays every receptive field out as one row of {@code K = kh*kw*c}
 * floats in {@code (kh, kw, c)} order, which matches the row order of a Keras kernel {@code (KH, KW, Cin, Cout)}
 * viewed as a {@code K x Cout} matrix; {@code col2im} is its adjoint (scatter-add).
 */
public final class ConvOps {
    private ConvOps() {}

    /** Rows for samples {@code [0, n)} of {@code x} (starting at float offset {@code xOff}) into {@code cols}. */
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
}
