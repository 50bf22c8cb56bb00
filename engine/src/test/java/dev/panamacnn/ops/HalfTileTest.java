package dev.panamacnn.ops;

import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The micro-kernels' two ways to cover an MR x NR tile, the whole tile at once (16 accumulators, for 32 vector
 * registers) and two 4-row halves ({@code Gemm.HALVES}, for AVX2's 16), give the same bits, on random data. Both are
 * called directly, so each machine checks both whichever one it uses.
 */
class HalfTileTest {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    static final int MR = Gemm.MR, NR = Gemm.NR, KC = Gemm.KC, MC = Gemm.MC;

    static MemorySegment randomSegment(Arena arena, Rng r, int floats) {
        MemorySegment s = arena.allocate((long) floats * 4, 64);
        for (int i = 0; i < floats; i++) s.setAtIndex(F, i, r.nextFloat() * 2 - 1);
        return s;
    }

    static float[] randomArray(Rng r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }

    static float[] read(MemorySegment s, int floats) {
        return s.asSlice(0, (long) floats * 4).toArray(F);
    }

    @Test
    void gemmKernelsGiveTheSameBitsWholeOrInHalves() {
        Rng r = new Rng(11);
        try (Arena arena = Arena.ofConfined()) {
            for (int round = 0; round < 40; round++) {
                int kc = 1 + r.nextInt(KC);
                boolean acc = (round & 1) == 1, columns = (round & 2) == 2;
                int ldc = NR + r.nextInt(3) * 8;   // C rows further apart than the tile
                float[] pa = randomArray(r, MC * KC);
                MemorySegment pb = randomSegment(arena, r, kc * NR);
                MemorySegment c0 = randomSegment(arena, r, MR * ldc);
                MemorySegment whole = arena.allocate((long) MR * ldc * 4, 64), halves = arena.allocate((long) MR * ldc * 4, 64);
                whole.copyFrom(c0);
                halves.copyFrom(c0);
                int panel = r.nextInt(MC / MR);
                if (columns) {
                    int start = panel * MR;
                    Gemm.kernelColumnsA8(pa, start, pb, 0, kc, whole, 0, ldc * 4L, acc);
                    Gemm.kernelColumnsA4(pa, start, pb, 0, kc, halves, 0, ldc * 4L, acc);
                    Gemm.kernelColumnsA4(pa, start + 4, pb, 0, kc, halves, 4L * ldc * 4, ldc * 4L, acc);
                } else {
                    int start = panel * MR * KC;
                    Gemm.kernelRowsA8(pa, start, pb, 0, kc, whole, 0, ldc * 4L, acc);
                    Gemm.kernelRowsA4(pa, start, pb, 0, kc, halves, 0, ldc * 4L, acc);
                    Gemm.kernelRowsA4(pa, start + 4 * KC, pb, 0, kc, halves, 4L * ldc * 4, ldc * 4L, acc);
                }
                String what = (columns ? "columns" : "rows") + " kc=" + kc + " acc=" + acc + " ldc=" + ldc;
                assertArrayEquals(read(whole, MR * ldc), read(halves, MR * ldc), 0f, what);
                // and the dispatching kernel (whichever way this machine runs it) agrees with both
                MemorySegment used = arena.allocate((long) MR * ldc * 4, 64);
                used.copyFrom(c0);
                if (columns) Gemm.kernelColumnsA(pa, panel * MR, pb, 0, kc, used, 0, ldc * 4L, acc);
                else Gemm.kernelRowsA(pa, panel * MR * KC, pb, 0, kc, used, 0, ldc * 4L, acc);
                assertArrayEquals(read(whole, MR * ldc), read(used, MR * ldc), 0f, what + " (dispatch)");
            }
        }
    }

    @Test
    void directConvolutionKernelsGiveTheSameBitsWholeOrInHalves() {
        Rng r = new Rng(12);
        try (Arena arena = Arena.ofConfined()) {
            for (int round = 0; round < 20; round++) {
                int kh = 1 + r.nextInt(5), kw = 1 + r.nextInt(5), w = MR + kw + r.nextInt(8), h = kh + 1 + r.nextInt(6);
                float[] img = randomArray(r, h * w);
                // forward: MR pixels along x of one output row times one filter panel, over kh x kw taps
                MemorySegment pw = randomSegment(arena, r, kh * kw * NR);
                int oy = r.nextInt(h - kh + 1), ox = r.nextInt(w - kw + 1 - MR + 1), base = oy * w + ox;
                int ldc = NR + 8 * r.nextInt(3);
                MemorySegment whole = arena.allocate((long) MR * ldc * 4, 64), halves = arena.allocate((long) MR * ldc * 4, 64);
                DirectConv.kernelForward8(img, base, w, kh, kw, pw, 0, whole, 0, ldc * 4L);
                DirectConv.kernelForward4(img, base, w, kh, kw, pw, 0, halves, 0, ldc * 4L);
                DirectConv.kernelForward4(img, base + 4, w, kh, kw, pw, 0, halves, 4L * ldc * 4, ldc * 4L);
                String what = "kh=" + kh + " kw=" + kw + " w=" + w + " h=" + h;
                assertArrayEquals(read(whole, MR * ldc), read(halves, MR * ldc), 0f, "forward " + what);

                // kernel gradient: MR taps times one panel of dOut, summed over an oh x ow output
                int oh = h - kh + 1, ow = w - kw + 1;
                MemorySegment dout = randomSegment(arena, r, oh * ow * NR);
                int[] offs = new int[MR];
                for (int i = 0; i < MR; i++) {
                    int t = r.nextInt(kh * kw);
                    offs[i] = (t / kw) * w + t % kw;
                }
                MemorySegment tw = arena.allocate((long) MR * NR * 4, 64), th = arena.allocate((long) MR * NR * 4, 64);
                DirectConv.kernelGradientTile8(img, offs, w, oh, ow, dout, tw);
                DirectConv.kernelGradientTile4(img, offs[0], offs[1], offs[2], offs[3], w, oh, ow, dout, th, 0);
                DirectConv.kernelGradientTile4(img, offs[4], offs[5], offs[6], offs[7], w, oh, ow, dout, th, 4L * NR * 4);
                assertArrayEquals(read(tw, MR * NR), read(th, MR * NR), 0f, "kernel gradient " + what);
            }
        }
    }

    /** The 5-wide kernels with their taps along x written out sum in the same (ky, kx) order as the loop: same bits. */
    @Test
    void fiveWideDirectConvolutionKernelsGiveTheLoopsBits() {
        Rng r = new Rng(13);
        try (Arena arena = Arena.ofConfined()) {
            for (int round = 0; round < 30; round++) {
                int kh = 1 + r.nextInt(6), kw = 5, w = MR + kw + r.nextInt(12), h = kh + 1 + r.nextInt(6);
                float[] img = randomArray(r, h * w);
                MemorySegment pw = randomSegment(arena, r, kh * kw * NR + 2 * NR);
                long pwStart = 4L * NR * r.nextInt(3);
                int oy = r.nextInt(h - kh + 1), ox = r.nextInt(w - kw + 1 - MR + 1), base = oy * w + ox;
                int ldc = NR + 8 * r.nextInt(3);
                String what = "kh=" + kh + " w=" + w + " h=" + h + " base=" + base;
                MemorySegment loop = arena.allocate((long) MR * ldc * 4, 64);
                DirectConv.kernelForward8(img, base, w, kh, kw, pw, pwStart, loop, 0, ldc * 4L);
                MemorySegment whole = arena.allocate((long) MR * ldc * 4, 64), halves = arena.allocate((long) MR * ldc * 4, 64);
                DirectConv.kernelForward8k5(img, base, w, kh, pw, pwStart, whole, 0, ldc * 4L);
                DirectConv.kernelForward4k5(img, base, w, kh, pw, pwStart, halves, 0, ldc * 4L);
                DirectConv.kernelForward4k5(img, base + 4, w, kh, pw, pwStart, halves, 4L * ldc * 4, ldc * 4L);
                assertArrayEquals(read(loop, MR * ldc), read(whole, MR * ldc), 0f, "8 pixels " + what);
                assertArrayEquals(read(loop, MR * ldc), read(halves, MR * ldc), 0f, "4 + 4 pixels " + what);
                MemorySegment used = arena.allocate((long) MR * ldc * 4, 64);
                DirectConv.kernelForward(img, base, w, kh, kw, pw, pwStart, used, 0, ldc * 4L);
                assertArrayEquals(read(loop, MR * ldc), read(used, MR * ldc), 0f, "dispatch " + what);
            }
        }
    }
}
