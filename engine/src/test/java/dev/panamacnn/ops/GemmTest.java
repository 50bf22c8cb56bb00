package dev.panamacnn.ops;

import dev.panamacnn.ops.Exec;
import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packed, register-blocked GEMM against the scalar reference, on random and odd shapes. */
class GemmTest {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    static float[] random(Rng r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }

    static MemorySegment seg(Arena arena, float[] a, int pad) {
        MemorySegment s = arena.allocate((long) (a.length + pad) * 4, 64);
        MemorySegment.copy(a, 0, s, F, (long) pad * 4, a.length);
        return s;
    }

    @Test
    void matchesReferenceOnRandomShapes() {
        Rng r = new Rng(1);
        int[][] shapes = {{1, 1, 1}, {1, 33, 7}, {5, 1, 300}, {7, 31, 5}, {6, 32, 256}, {13, 97, 257}, {97, 13, 513},
                {128, 100, 64}, {200, 70, 33}, {33, 65, 1}};
        try (Arena arena = Arena.ofShared(); Exec one = new Exec(1, arena); Exec three = new Exec(3, arena)) {
            for (int[] s : shapes) {
                for (int variant = 0; variant < 8; variant++) {
                    boolean ta = (variant & 1) != 0, tb = (variant & 2) != 0, acc = (variant & 4) != 0;
                    int m = s[0], n = s[1], k = s[2];
                    float[] a = random(r, m * k), b = random(r, k * n), c0 = random(r, m * n);
                    float[] expect = Reference.gemm(ta, tb, m, n, k, a, b);
                    if (acc) for (int i = 0; i < expect.length; i++) expect[i] += c0[i];
                    int pad = 3; // odd offsets, so nothing relies on alignment
                    MemorySegment sa = seg(arena, a, pad), sb = seg(arena, b, pad);
                    float[][] results = new float[3][];
                    int which = 0;
                    for (Exec ex : new Exec[] {one, three}) {
                        MemorySegment sc = seg(arena, c0, pad);
                        Gemm.gemm(ex.pool(), ex.gemmScratch(), ta, tb, m, n, k, sa, pad, ta ? m : k, sb, pad, tb ? k : n, acc, sc, pad, n);
                        results[which++] = read(sc, pad, m * n);
                    }
                    MemorySegment sc = seg(arena, c0, pad);
                    Gemm.gemm(ta, tb, m, n, k, sa, pad, ta ? m : k, sb, pad, tb ? k : n, acc, sc, pad, n, one.gemmScratch()[0]);
                    results[2] = read(sc, pad, m * n);
                    String what = "m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb + " acc=" + acc;
                    for (int i = 0; i < expect.length; i++) {
                        assertTrue(Math.abs(results[0][i] - expect[i]) <= 1e-5 * (k + 1), what + " at " + i + ": " + results[0][i] + " vs " + expect[i]);
                    }
                    assertArrayEquals(results[0], results[1], 0f, what + ": 1 vs 3 threads differ");
                    assertArrayEquals(results[0], results[2], 0f, what + ": serial vs parallel differ");
                }
            }
        }
    }

    /** A B packed once, as predict's dense layers use it: the same bits as packing it in every call, on 1 and 3 threads. */
    @Test
    void prePackedBGivesTheSameBits() {
        Rng r = new Rng(7);
        int[][] shapes = {{13, 97, 257}, {64, 1000, 1024}, {30, 10, 1000}, {200, 70, 33}, {129, 300, 600}, {5, 40, 20}};
        try (Arena arena = Arena.ofShared(); Exec one = new Exec(1, arena); Exec three = new Exec(3, arena)) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                float[] a = random(r, m * k), b = random(r, k * n);
                int pad = 5;
                MemorySegment sa = seg(arena, a, pad), sb = seg(arena, b, pad);
                MemorySegment packed = arena.allocate((long) Gemm.packedSize(k, n) * 4, 64);
                Gemm.packB(false, k, n, sb, pad, n, packed);
                for (Exec ex : new Exec[] {one, three}) {
                    MemorySegment want = seg(arena, new float[m * n], pad), got = seg(arena, new float[m * n], pad);
                    Gemm.gemm(ex.pool(), ex.gemmScratch(), false, false, m, n, k, sa, pad, k, sb, pad, n, false, want, pad, n);
                    Gemm.gemmPacked(ex.pool(), ex.gemmScratch(), m, n, k, sa, pad, k, packed, got, pad, n);
                    String what = "m=" + m + " n=" + n + " k=" + k + " threads=" + ex.pool().threads();
                    if (Gemm.packedMatches(m)) assertArrayEquals(read(want, pad, m * n), read(got, pad, m * n), 0f, what);
                    else assertArrayEquals(read(want, pad, m * n), read(got, pad, m * n), 1e-4f * k, what);
                }
            }
        }
    }

    @Test
    void leadingDimensionsLargerThanTheMatrix() {
        // sub-matrices of bigger arrays, as the conv layers use them
        Rng r = new Rng(2);
        int m = 9, n = 10, k = 11, lda = 15, ldb = 23, ldc = 17;
        float[] a = random(r, m * lda), b = random(r, k * ldb);
        try (Arena arena = Arena.ofShared(); Exec ex = new Exec(2, arena)) {
            MemorySegment sa = seg(arena, a, 0), sb = seg(arena, b, 0), sc = arena.allocate((long) m * ldc * 4, 64);
            Gemm.gemm(ex.pool(), ex.gemmScratch(), false, false, m, n, k, sa, 0, lda, sb, 0, ldb, false, sc, 0, ldc);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += a[i * lda + p] * b[p * ldb + j];
                    assertTrue(Math.abs(sc.getAtIndex(F, (long) i * ldc + j) - s) < 1e-4);
                }
        }
    }

    static float[] read(MemorySegment s, int off, int n) {
        float[] a = new float[n];
        MemorySegment.copy(s, F, (long) off * 4, a, 0, n);
        return a;
    }
}
