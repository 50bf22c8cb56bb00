package dev.panamacnn.ops;

import dev.panamacnn.runtime.Rng;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The vectorized pooling and normalization passes against plain scalar loops written here, on random shapes whose
 * channel counts leave vector tails (and fall below one vector).
 */
class PoolAndNormReferenceTest {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    static MemorySegment random(Arena a, long n, Rng r) {
        MemorySegment s = Tensor.allocateFloats(a, n);
        for (long i = 0; i < n; i++) s.setAtIndex(F, i, (float) r.nextGaussian());
        return s;
    }

    @Test
    void averageAndMaxPoolingWithClippedWindows() {
        Rng r = new Rng(21);
        for (int t = 0; t < 12; t++) {
            int n = 1 + r.nextInt(3), h = 2 + r.nextInt(7), w = 2 + r.nextInt(7), c = 1 + r.nextInt(40);
            int ph = 1 + r.nextInt(3), pw = 1 + r.nextInt(3), sh = 1 + r.nextInt(2), sw = 1 + r.nextInt(2);
            int oh = (h + sh - 1) / sh, ow = (w + sw - 1) / sw;
            int top = Math.max((oh - 1) * sh + ph - h, 0) / 2, left = Math.max((ow - 1) * sw + pw - w, 0) / 2;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment x = random(a, (long) n * h * w * c, r), avg = Tensor.allocateFloats(a, (long) n * oh * ow * c),
                        max = Tensor.allocateFloats(a, (long) n * oh * ow * c), am = a.allocate((long) n * oh * ow * c * 4, 64),
                        dy = random(a, (long) n * oh * ow * c, r), dx = Tensor.allocateFloats(a, (long) n * h * w * c);
                PoolOps.avgPoolForward(x, 0, n, h, w, c, ph, pw, sh, sw, top, left, oh, ow, avg, 0);
                PoolOps.maxPoolForwardPadded(x, 0, n, h, w, c, ph, pw, sh, sw, top, left, oh, ow, max, 0, am, 0);
                PoolOps.avgPoolBackward(dy, 0, n, h, w, c, ph, pw, sh, sw, top, left, oh, ow, dx, 0);
                double[] dref = new double[n * h * w * c];
                for (int s = 0; s < n; s++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) for (int ch = 0; ch < c; ch++) {
                    double sum = 0, best = Double.NEGATIVE_INFINITY;
                    int cnt = 0;
                    for (int i = 0; i < ph; i++) for (int j = 0; j < pw; j++) {
                        int y = oy * sh - top + i, xx = ox * sw - left + j;
                        if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                        float v = x.getAtIndex(F, ((long) (s * h + y) * w + xx) * c + ch);
                        sum += v; cnt++; best = Math.max(best, v);
                    }
                    long o = ((long) (s * oh + oy) * ow + ox) * c + ch;
                    String what = "t " + t + " c " + c + " at " + o;
                    assertEquals(sum / cnt, avg.getAtIndex(F, o), 1e-5, "average " + what);
                    assertEquals(best, max.getAtIndex(F, o), 0, "max " + what);
                    assertEquals(best, x.getAtIndex(F, s * (long) h * w * c + am.getAtIndex(ValueLayout.JAVA_INT, o)), 0, "arg-max " + what);
                    for (int i = 0; i < ph; i++) for (int j = 0; j < pw; j++) {
                        int y = oy * sh - top + i, xx = ox * sw - left + j;
                        if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                        dref[((s * h + y) * w + xx) * c + ch] += dy.getAtIndex(F, o) / cnt;
                    }
                }
                for (int i = 0; i < dref.length; i++) assertEquals(dref[i], dx.getAtIndex(F, i), 1e-5, "average gradient " + i);
            }
        }
    }

    @Test
    void globalPoolingAndNormalizationPasses() {
        Rng r = new Rng(5);
        for (int t = 0; t < 10; t++) {
            int n = 1 + r.nextInt(4), pixels = 1 + r.nextInt(90), c = 1 + r.nextInt(40);
            long rows = (long) n * pixels;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment x = random(a, rows * c, r), g = random(a, rows * c, r), y = Tensor.allocateFloats(a, rows * c),
                        avg = Tensor.allocateFloats(a, (long) n * c), max = Tensor.allocateFloats(a, (long) n * c), am = a.allocate((long) n * c * 4, 64);
                PoolOps.globalPoolForward(x, 0, n, pixels, c, false, avg, 0, am, 0);
                PoolOps.globalPoolForward(x, 0, n, pixels, c, true, max, 0, am, 0);
                double[] sum = new double[c], sq = new double[c], db = new double[c], dg = new double[c];
                float[] mean = new float[c], inv = new float[c], scale = new float[c], shift = new float[c];
                for (int s = 0; s < n; s++) for (int ch = 0; ch < c; ch++) {
                    double acc = 0, best = Double.NEGATIVE_INFINITY;
                    for (int p = 0; p < pixels; p++) { float v = x.getAtIndex(F, ((long) s * pixels + p) * c + ch); acc += v; best = Math.max(best, v); }
                    assertEquals(acc / pixels, avg.getAtIndex(F, (long) s * c + ch), 1e-5);
                    assertEquals(best, max.getAtIndex(F, (long) s * c + ch), 0);
                }
                NormOps.channelSums(x, 0, rows, c, null, sum);
                for (int ch = 0; ch < c; ch++) {
                    double ref = 0;
                    for (long i = 0; i < rows; i++) ref += x.getAtIndex(F, i * c + ch);
                    assertEquals(ref, sum[ch], 1e-4, "sum " + ch);
                    mean[ch] = (float) (ref / rows);
                }
                NormOps.channelSums(x, 0, rows, c, mean, sq);
                for (int ch = 0; ch < c; ch++) {
                    double ref = 0;
                    for (long i = 0; i < rows; i++) { double d = x.getAtIndex(F, i * c + ch) - mean[ch]; ref += d * d; }
                    assertEquals(ref, sq[ch], 1e-4 * Math.max(1, ref), "squared deviations " + ch);
                    inv[ch] = (float) (1 / Math.sqrt(ref / rows + 1e-3));
                    scale[ch] = (float) r.nextGaussian();
                    shift[ch] = (float) r.nextGaussian();
                }
                NormOps.affine(x, y, 0, rows, c, scale, shift);
                NormOps.gradientSums(x, g, 0, rows, c, mean, inv, db, dg);
                for (int ch = 0; ch < c; ch++) {
                    double b = 0, gg = 0;
                    for (long i = 0; i < rows; i++) {
                        long k = i * c + ch;
                        assertEquals(x.getAtIndex(F, k) * scale[ch] + shift[ch], y.getAtIndex(F, k), 1e-5);
                        b += g.getAtIndex(F, k);
                        gg += g.getAtIndex(F, k) * (x.getAtIndex(F, k) - mean[ch]) * inv[ch];
                    }
                    assertEquals(b, db[ch], 1e-4, "dbeta " + ch);
                    assertEquals(gg, dg[ch], 1e-4 * Math.max(1, Math.abs(gg)), "dgamma " + ch);
                }
            }
        }
    }
}
