package dev.panamacnn.ops;

import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The check that {@link WinogradTest} and {@link Winograd4Test} run on their plans' 5x5 kernel gradients: random
 * samples against {@link Reference#conv2dBackward}, within a bound scaled by the sum of the absolute terms; one call
 * over three samples at unaligned offsets (stale sums cleared when not accumulating, a filled output overwritten), then
 * the same samples in two chunks, the second accumulated onto the first on the other worker.
 */
final class KernelGradientCheck {
    static final int SAMPLES = 3;

    /** A plan's kernel gradient: untransformed sums over samples on one worker, then finished into the kernel gradient. */
    interface Gradient {
        long sumsSize();

        void sums(MemorySegment in, long inOff, int count, int h, int w, MemorySegment dOut, long dOutOff,
                  MemorySegment sums, long sumsOff, boolean accumulate, int worker);

        void finish(MemorySegment sums, long sumsOff, MemorySegment dk, long dkOff);
    }

    private KernelGradientCheck() {}

    /**
     * Checks the gradient {@code plan} builds in an arena for {@value #SAMPLES} samples of h x w x c inputs and f filters
     * (valid padding); {@code bound} is the largest error allowed, as a fraction of the term sum.
     */
    static void check(Rng r, int h, int w, int c, int f, Function<Arena, Gradient> plan, double bound) {
        int oh = h - 4, ow = w - 4, cnt = SAMPLES;
        try (Arena arena = Arena.ofConfined()) {
            float[] x = random(r, cnt * h * w * c, 1), dy = random(r, cnt * oh * ow * f, 0.1f), zeros = new float[25 * c * f];
            float[] want = Reference.conv2dBackward(x, cnt, h, w, c, zeros, 5, 5, f, 1, 1, dy)[1];
            float[] absX = x.clone(), absDy = dy.clone();
            for (int i = 0; i < absX.length; i++) absX[i] = Math.abs(absX[i]);
            for (int i = 0; i < absDy.length; i++) absDy[i] = Math.abs(absDy[i]);
            float[] scale = Reference.conv2dBackward(absX, cnt, h, w, c, zeros, 5, 5, f, 1, 1, absDy)[1];
            MemorySegment in = Tensor.allocateFloats(arena, 3 + x.length), dOut = Tensor.allocateFloats(arena, 5 + dy.length);
            MemorySegment.copy(x, 0, in, ValueLayout.JAVA_FLOAT, 3L * 4, x.length);
            MemorySegment.copy(dy, 0, dOut, ValueLayout.JAVA_FLOAT, 5L * 4, dy.length);
            Gradient g = plan.apply(arena);
            MemorySegment dk = Tensor.allocateFloats(arena, 2 + want.length), dkSplit = Tensor.allocateFloats(arena, want.length);
            dk.fill((byte) 0x7f);   // written, not added: whatever was there must not show
            MemorySegment sums = Tensor.allocateFloats(arena, 7 + g.sumsSize()), sumsSplit = Tensor.allocateFloats(arena, g.sumsSize());
            g.sums(in, 3, cnt, h, w, dOut, 5, sums, 7, true, 1);    // stale sums from an earlier call...
            g.sums(in, 3, cnt, h, w, dOut, 5, sums, 7, false, 1);   // ...cleared when not accumulating
            g.finish(sums, 7, dk, 2);
            long sampleIn = (long) h * w * c, sampleOut = (long) oh * ow * f;
            g.sums(in, 3, 1, h, w, dOut, 5, sumsSplit, 0, false, 0);
            g.sums(in, 3 + sampleIn, 2, h, w, dOut, 5 + sampleOut, sumsSplit, 0, true, 0);
            g.finish(sumsSplit, 0, dkSplit, 0);
            float[] got = dk.asSlice(8).toArray(ValueLayout.JAVA_FLOAT), split = dkSplit.toArray(ValueLayout.JAVA_FLOAT);
            double worst = 0, worstSplit = 0;
            for (int i = 0; i < want.length; i++) {
                worst = Math.max(worst, Math.abs(got[i] - want[i]) / (scale[i] + 1e-6));
                worstSplit = Math.max(worstSplit, Math.abs(split[i] - want[i]) / (scale[i] + 1e-6));
            }
            String at = "h=" + h + " w=" + w + " c=" + c + " f=" + f;
            assertTrue(worst < bound, at + ": worst error " + worst + " of the term sum");
            assertTrue(worstSplit < bound, at + ", two chunks: worst error " + worstSplit + " of the term sum");
        }
    }

    static float[] random(Rng r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (r.nextFloat() * 2 - 1) * scale;
        return a;
    }
}
