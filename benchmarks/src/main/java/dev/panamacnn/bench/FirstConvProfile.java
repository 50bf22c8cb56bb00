package dev.panamacnn.bench;

import dev.panamacnn.ops.DirectConv;
import dev.panamacnn.ops.Gemm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.Random;

/**
 * The tutorial's first layer alone, one thread: {@code DirectConv.forwardPooled} (its 5 x 5 convolution of one
 * 28 x 28 image into 32 filters, bias, ReLU and the fused 2 x 2 pooling) as predict runs it (no window indices) and
 * as training does, and the backward of the two (pooled gradient, kernel gradient, bias sums), in microseconds per
 * image over 512 random images: {@code FirstConvProfile [ROUNDS]} (default 20), the median and the range of the
 * rounds after five untimed ones. It uses only the public API, so it also runs against an older engine jar.
 */
public final class FirstConvProfile {
    static final int W = 28, K = 5, O = 24, F = 32, N = 512;

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Random r = new Random(1);
        float[][] imgs = new float[N][W * W];
        for (float[] im : imgs) for (int i = 0; i < im.length; i++) im[i] = r.nextFloat();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = a.allocate((long) (K * K + 1) * F * 4, 64);
            for (int i = 0; i < (K * K + 1) * F; i++) params.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian() * 0.2f);
            MemorySegment packed = a.allocate((long) Gemm.packedSize(K * K, F) * 4, 64);
            Gemm.packB(false, K * K, F, params, 0, F, packed);
            long pooled = (long) (O / 2) * (O / 2) * F;
            MemorySegment rows = a.allocate(2L * O * F * 4, 64), out = a.allocate(N * pooled * 4, 64);
            MemorySegment argmax = a.allocate(N * pooled, 64), dPooled = a.allocate(N * pooled * 4, 64);
            for (long i = 0; i < N * pooled; i++) dPooled.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
            MemorySegment dConv = a.allocate((long) O * O * F * 4, 64), panel = a.allocate((long) O * O * F * 4, 64);
            MemorySegment dw = a.allocate((long) (K * K + 1) * F * 4, 64);
            Gemm.Scratch s = new Gemm.Scratch(a);
            double[][] t = new double[3][rounds];
            for (int round = -5; round < rounds; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < N; i++) {
                    DirectConv.forwardPooled(imgs[i], W, K, K, 1, O, O, packed, F, params, (long) K * K * F, true, rows,
                            out, i * pooled, null, 0, s);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < N; i++) {
                    DirectConv.forwardPooled(imgs[i], W, K, K, 1, O, O, packed, F, params, (long) K * K * F, true, rows,
                            out, i * pooled, argmax, i * pooled, s);
                }
                long t2 = System.nanoTime();
                for (int i = 0; i < N; i++) {
                    DirectConv.pooledGradient(out, dPooled, i * pooled, argmax, i * pooled, O, O, F, true, dConv);
                    DirectConv.kernelGradient(imgs[i], W, K, K, 1, O, O, dConv, F, panel, dw, 0, s);
                    DirectConv.addColumnSums(dConv, O * O, F, dw, (long) K * K * F);
                }
                long t3 = System.nanoTime();
                if (round >= 0) {
                    t[0][round] = (t1 - t0) / 1e3 / N;
                    t[1][round] = (t2 - t1) / 1e3 / N;
                    t[2][round] = (t3 - t2) / 1e3 / N;
                }
            }
            String[] names = {"forward + pooling, predict", "forward + pooling, training", "backward (pooled + kernel gradient, bias)"};
            System.out.println("| first layer, one thread, us per image | median | range |");
            System.out.println("|---|---|---|");
            for (int k = 0; k < 3; k++) {
                double[] v = t[k].clone();
                java.util.Arrays.sort(v);
                System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f-%.2f |%n", names[k], v[rounds / 2], v[0], v[rounds - 1]);
            }
        }
    }
}
