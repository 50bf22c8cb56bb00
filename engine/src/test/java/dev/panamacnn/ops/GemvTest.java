package dev.panamacnn.ops;

import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.panamacnn.ops.GemmTest.random;
import static dev.panamacnn.ops.GemmTest.seg;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The few-rows GEMV against the scalar reference and, bit for bit, against the GEMM it stands in for. */
class GemvTest {
    @Test
    void sameBitsAsTheGemmOnRandomShapes() {
        Rng r = new Rng(7);
        try (Arena arena = Arena.ofShared(); Exec one = new Exec(1, arena)) {
            for (int t = 0; t < 60; t++) {
                int m = 1 + r.nextInt(6), n = 1 + r.nextInt(t < 30 ? 300 : 1100), k = 1 + r.nextInt(t % 3 == 0 ? 1100 : 300);
                boolean acc = r.nextInt(2) == 0;
                float[] a = random(r, m * k), b = random(r, k * n), c0 = random(r, m * n);
                int pad = 1 + r.nextInt(5);   // odd offsets: nothing may rely on alignment
                MemorySegment sa = seg(arena, a, pad), sb = seg(arena, b, pad);
                MemorySegment viaGemm = seg(arena, c0, pad), viaGemv = seg(arena, c0, pad), split = seg(arena, c0, pad);
                Gemm.gemm(false, false, m, n, k, sa, pad, k, sb, pad, n, acc, viaGemm, pad, n, one.gemmScratch()[0]);
                Gemv.gemv(m, k, 0, n, sa, pad, k, sb, pad, n, acc, viaGemv, pad, n);
                int cut = r.nextInt(n + 1);   // a column split, as between threads
                Gemv.gemv(m, k, 0, cut, sa, pad, k, sb, pad, n, acc, split, pad, n);
                Gemv.gemv(m, k, cut, n, sa, pad, k, sb, pad, n, acc, split, pad, n);
                String what = "m=" + m + " n=" + n + " k=" + k + " acc=" + acc + " cut=" + cut;
                float[] g = GemmTest.read(viaGemm, pad, m * n), v = GemmTest.read(viaGemv, pad, m * n);
                float[] expect = Reference.gemm(false, false, m, n, k, a, b);
                if (acc) for (int i = 0; i < expect.length; i++) expect[i] += c0[i];
                for (int i = 0; i < expect.length; i++) {
                    assertTrue(Math.abs(v[i] - expect[i]) <= 1e-5 * (k + 1), what + " at " + i + ": " + v[i] + " vs " + expect[i]);
                }
                assertArrayEquals(g, v, 0f, what + ": GEMV and GEMM differ");
                assertArrayEquals(v, GemmTest.read(split, pad, m * n), 0f, what + ": split columns differ");
            }
        }
    }

    @Test
    void scalarFormHasTheSameOperationOrder() {
        Rng r = new Rng(8);
        try (Arena arena = Arena.ofShared()) {
            for (int t = 0; t < 20; t++) {
                int m = 1 + r.nextInt(4), n = 1 + r.nextInt(200), k = 1 + r.nextInt(700);
                float[] a = random(r, m * k), b = random(r, k * n);
                MemorySegment sa = seg(arena, a, 0), sb = seg(arena, b, 0), v = seg(arena, new float[m * n], 0), s = seg(arena, new float[m * n], 0);
                Gemv.gemv(m, k, 0, n, sa, 0, k, sb, 0, n, false, v, 0, n);
                Gemv.scalar(m, k, 0, n, sa, 0, k, sb, 0, n, false, s, 0, n);
                assertArrayEquals(GemmTest.read(s, 0, m * n), GemmTest.read(v, 0, m * n), 0f, "m=" + m + " n=" + n + " k=" + k);
            }
        }
    }

    @Test
    void sparseGemvSkipsZeroColumnsWithTheSameBits() {
        Rng r = new Rng(9);
        try (Arena arena = Arena.ofShared()) {
            for (int t = 0; t < 60; t++) {
                int m = 1 + r.nextInt(5), n = 1 + r.nextInt(t < 30 ? 300 : 700), k = 1 + r.nextInt(t % 3 == 0 ? 1100 : 300);
                boolean acc = r.nextInt(2) == 0;
                float density = t % 5 == 0 ? 0f : r.nextFloat();   // some calls all zeros, whole K blocks empty in others
                float[] a = random(r, m * k), b = random(r, k * n), c0 = random(r, m * n);
                int zeroFrom = r.nextInt(k + 1);   // columns from here on zero in every row but one sample's last
                for (int i = 0; i < a.length; i++) {
                    int col = i % k;
                    if (r.nextFloat() >= density || col >= zeroFrom && i / k < m - 1) a[i] = r.nextInt(2) == 0 ? 0f : -0f;
                }
                int pad = 1 + r.nextInt(5);
                MemorySegment sa = seg(arena, a, pad), sb = seg(arena, b, pad);
                MemorySegment dense = seg(arena, c0, pad), sparse = seg(arena, c0, pad);
                int[] idx = new int[k], starts = new int[(k + Gemm.KC - 1) / Gemm.KC + 1];
                int count = Gemv.nonzeroColumns(m, k, sa, pad, k, idx, starts);
                String what = "m=" + m + " n=" + n + " k=" + k + " acc=" + acc + " density=" + density;
                int expected = 0;
                for (int col = 0; col < k; col++) {
                    boolean any = false;
                    for (int i = 0; i < m; i++) any |= a[i * k + col] != 0f;
                    if (any) {
                        assertTrue(idx[expected] == col, what + ": listed column " + expected + " is " + idx[expected] + ", expected " + col);
                        expected++;
                    }
                    if (col % Gemm.KC == 0) assertTrue(starts[col / Gemm.KC] == expected - (any ? 1 : 0), what + ": start of K block " + col / Gemm.KC);
                }
                assertTrue(count == expected && starts[starts.length - 1] == count, what + ": " + count + " listed, expected " + expected);
                Gemv.gemv(m, k, 0, n, sa, pad, k, sb, pad, n, acc, dense, pad, n);
                int cut = r.nextInt(n + 1);
                Gemv.gemvSparse(m, k, 0, cut, sa, pad, k, sb, pad, n, acc, sparse, pad, n, idx, starts);
                Gemv.gemvSparse(m, k, cut, n, sa, pad, k, sb, pad, n, acc, sparse, pad, n, idx, starts);
                assertArrayEquals(GemmTest.read(dense, pad, m * n), GemmTest.read(sparse, pad, m * n), 0f, what + " cut=" + cut);
            }
        }
    }
}
