package dev.panamacnn.ops;

import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;

/**
 * conv2d_1's products on one chunk of 4 samples (256 output pixels, 12 x 12 x 32 in, 64 filters 5 x 5), one core,
 * the variants alternating in one process so that the machine's drift hits them alike:
 * (im2col + GEMM against A packed straight from the image, the weight gradient, and the packing alone):
 * {@code java --add-modules jdk.incubator.vector -cp "benchmarks/target/panama-cnn-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*" dev.panamacnn.ops.ConvChunkBench [rounds]}.
 * Prints the median over rounds (after 3 warm-up rounds) of the µs per chunk and GFLOP/s of each variant.
 */
public final class ConvChunkBench {
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        int h = 12, w = 12, c = 32, kh = 5, kw = 5, oh = 8, ow = 8, f = 64, k = kh * kw * c, samples = 4, rows = samples * oh * ow;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment img = Tensor.allocateFloats(arena, (long) samples * h * w * c);
            MemorySegment cols = Tensor.allocateFloats(arena, (long) rows * k);
            MemorySegment dOut = Tensor.allocateFloats(arena, (long) rows * f), out = Tensor.allocateFloats(arena, (long) rows * f);
            MemorySegment dw = Tensor.allocateFloats(arena, (long) k * f), wts = Tensor.allocateFloats(arena, (long) k * f);
            java.util.Random r = new java.util.Random(1);
            for (MemorySegment s : new MemorySegment[] {img, dOut, wts}) {
                for (long i = 0; i < s.byteSize() / 4; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
            }
            Gemm.Scratch gs = new Gemm.Scratch(arena);
            MemorySegment packedW = Tensor.allocateFloats(arena, Gemm.packedSize(k, f));
            Gemm.packB(false, k, f, wts, 0, f, packedW);
            ConvOps.Receptive rec = new ConvOps.Receptive(h, w, c, kh, kw, 1, 1, oh, ow, rows);
            float[] dst = new float[Gemm.MC * Gemm.KC];
            String[] names = {"forward: im2col + GEMM", "forward: GEMM, A packed from the image (Receptive)",
                    "weight gradient: GEMM, A packed from the image",
                    "packing A from the image, forward layout", "packing A from the image, transposed layout"};
            double[] flops = {2.0 * rows * f * k, 2.0 * rows * f * k, 2.0 * rows * f * k, 0, 0};
            Runnable[] variants = {
                () -> {
                    ConvOps.im2col(img, 0, samples, h, w, c, kh, kw, 1, 1, oh, ow, cols, 0);
                    Gemm.gemmPacked(false, rows, f, k, cols, 0, k, packedW, false, out, 0, f, gs);
                },
                () -> Gemm.gemmPacked(false, rows, f, k, rec.at(img, 0), packedW, false, out, 0, f, gs),
                () -> Gemm.gemm(true, k, f, rows, rec.at(img, 0), dOut, 0, f, true, dw, 0, f, gs),
                () -> {
                    for (int ic = 0; ic < rows; ic += Gemm.MC)
                        for (int pc = 0; pc < k; pc += Gemm.KC) rec.pack(false, ic, pc, Math.min(Gemm.MC, rows - ic), Math.min(Gemm.KC, k - pc), dst);
                },
                () -> {
                    for (int ic = 0; ic < k; ic += Gemm.MC)
                        for (int pc = 0; pc < rows; pc += Gemm.KC) rec.pack(true, ic, pc, Math.min(Gemm.MC, k - ic), Math.min(Gemm.KC, rows - pc), dst);
                },
            };
            int iters = 1000;
            double[][] us = new double[variants.length][rounds];
            for (int round = -3; round < rounds; round++) {
                for (int v = 0; v < variants.length; v++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < iters; i++) variants[v].run();
                    if (round >= 0) us[v][round] = (System.nanoTime() - t0) / 1e3 / iters;
                }
            }
            System.out.println("| variant (one 4-sample chunk of conv2d_1, one core) | µs, median | GFLOP/s |");
            System.out.println("|---|---|---|");
            for (int v = 0; v < variants.length; v++) {
                Arrays.sort(us[v]);
                double m = us[v][rounds / 2];
                System.out.println(String.format(Locale.ROOT, "| %s | %.1f | %s |", names[v], m,
                        flops[v] > 0 ? String.format(Locale.ROOT, "%.0f", flops[v] / m / 1e3) : ""));
            }
        }
    }
}
