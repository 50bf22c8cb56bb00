package dev.panamacnn.ops;

import dev.panamacnn.tensor.Tensor;
import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Products whose im2col operand is packed straight from the image ({@link ConvOps.Receptive}) are bit-identical to
 * im2col into a buffer followed by the GEMM on that buffer, in both orientations (the forward product and the
 * weight gradient), on the vector fast path (kw*c a multiple of the vector length) and the general one.
 */
class ReceptiveTest {
    @Test void implicitIm2colMatchesStoredIm2colExactly() {
        Rng r = new Rng(11);
        // h, w, c, kh, kw, sh, sw, samples, filters
        int[][] geometries = {
                {12, 12, 32, 5, 5, 1, 1, 4, 64},   // conv2d_1 of the tutorial: fast path
                {12, 12, 32, 5, 5, 1, 1, 3, 40},   // fewer samples than a chunk, ragged filter panel
                {9, 11, 16, 3, 2, 2, 1, 2, 17},    // strides, kw*c = 32
                {10, 9, 3, 3, 3, 1, 2, 3, 5},      // general path: runs of 9 floats, masked tails
                {7, 7, 1, 5, 5, 1, 1, 5, 8},       // one channel
        };
        try (Arena arena = Arena.ofConfined()) {
            Gemm.Scratch gs = new Gemm.Scratch(arena);
            for (int[] g : geometries) {
                int h = g[0], w = g[1], c = g[2], kh = g[3], kw = g[4], sh = g[5], sw = g[6], n = g[7], f = g[8];
                int oh = (h - kh) / sh + 1, ow = (w - kw) / sw + 1, k = kh * kw * c, rows = n * oh * ow;
                long lead = 7;   // the samples start inside a larger tensor
                MemorySegment x = GemmTest.seg(arena, GemmTest.random(r, n * h * w * c), (int) lead);
                MemorySegment cols = Tensor.allocateFloats(arena, (long) rows * k);
                ConvOps.im2col(x, lead, n, h, w, c, kh, kw, sh, sw, oh, ow, cols, 0);
                ConvOps.Receptive rec = new ConvOps.Receptive(h, w, c, kh, kw, sh, sw, oh, ow, rows);
                String what = java.util.Arrays.toString(g);

                // forward: im2col (rows x k) times the kernel (k x f)
                MemorySegment wts = GemmTest.seg(arena, GemmTest.random(r, k * f), 0);
                MemorySegment packedW = Tensor.allocateFloats(arena, Gemm.packedSize(k, f));
                Gemm.packB(false, k, f, wts, 0, f, packedW);
                MemorySegment y1 = Tensor.allocateFloats(arena, (long) rows * f), y2 = Tensor.allocateFloats(arena, (long) rows * f);
                Gemm.gemmPacked(false, rows, f, k, cols, 0, k, packedW, false, y1, 0, f, gs);
                Gemm.gemmPacked(false, rows, f, k, rec.at(x, lead), packedW, false, y2, 0, f, gs);
                assertArrayEquals(floats(y1), floats(y2), 0f, "forward " + what);

                // weight gradient: im2col transposed (k x rows) times dOut (rows x f), accumulated onto a start value
                MemorySegment dOut = GemmTest.seg(arena, GemmTest.random(r, rows * f), 0);
                float[] start = GemmTest.random(r, k * f);
                MemorySegment d1 = GemmTest.seg(arena, start, 0), d2 = GemmTest.seg(arena, start, 0);
                Gemm.gemm(true, false, k, f, rows, cols, 0, k, dOut, 0, f, true, d1, 0, f, gs);
                Gemm.gemm(true, k, f, rows, rec.at(x, lead), dOut, 0, f, true, d2, 0, f, gs);
                assertArrayEquals(floats(d1), floats(d2), 0f, "weight gradient " + what);
            }
        }
    }

    private static float[] floats(MemorySegment s) {
        return s.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
    }
}
