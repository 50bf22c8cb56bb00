package dev.panamacnn.ops;

import org.junit.jupiter.api.Tag;

import dev.panamacnn.ops.Exec;
import dev.panamacnn.runtime.Rng;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scalar micro-kernels ({@code -Dpanamacnn.vector=false}, for machines where the Vector API is slow) against
 * the reference. The switch is read once per JVM, so the check runs in a child JVM.
 */
@Tag("slow")
class ScalarFallbackTest {

    /** Child: runs the GEMM on random shapes with every transpose combination; exit status 1 on a mismatch. */
    public static void main(String[] args) {
        if (Gemm.VECTOR) {
            System.err.println("expected -Dpanamacnn.vector=false");
            System.exit(2);
        }
        Rng r = new Rng(5);
        int[][] shapes = {{1, 1, 1}, {3, 40, 300}, {12, 33, 17}, {13, 97, 257}, {130, 70, 40}, {9, 300, 600}};
        try (Arena arena = Arena.ofShared(); Exec ex = new Exec(2, arena)) {
            for (int[] s : shapes) {
                for (int variant = 0; variant < 8; variant++) {
                    boolean ta = (variant & 1) != 0, tb = (variant & 2) != 0, acc = (variant & 4) != 0;
                    int m = s[0], n = s[1], k = s[2];
                    float[] a = GemmTest.random(r, m * k), b = GemmTest.random(r, k * n), c0 = GemmTest.random(r, m * n);
                    float[] expect = Reference.gemm(ta, tb, m, n, k, a, b);
                    if (acc) for (int i = 0; i < expect.length; i++) expect[i] += c0[i];
                    MemorySegment sa = GemmTest.seg(arena, a, 1), sb = GemmTest.seg(arena, b, 1), sc = GemmTest.seg(arena, c0, 1);
                    Gemm.gemm(ex.pool(), ex.gemmScratch(), ta, tb, m, n, k, sa, 1, ta ? m : k, sb, 1, tb ? k : n, acc, sc, 1, n);
                    float[] got = GemmTest.read(sc, 1, m * n);
                    for (int i = 0; i < expect.length; i++) {
                        if (!(Math.abs(got[i] - expect[i]) <= 1e-5 * (k + 1))) {
                            System.err.printf("m=%d n=%d k=%d ta=%b tb=%b acc=%b at %d: %s vs %s%n", m, n, k, ta, tb, acc, i, got[i], expect[i]);
                            System.exit(1);
                        }
                    }
                }
            }
        }
        System.out.println("scalar kernels ok");
    }

    @Test
    void scalarKernelsMatchReference() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dpanamacnn.vector=false", "-cp", cp, ScalarFallbackTest.class.getName())).inheritIO().start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), "scalar kernels disagree with the reference (see the child's output above)");
    }
}
