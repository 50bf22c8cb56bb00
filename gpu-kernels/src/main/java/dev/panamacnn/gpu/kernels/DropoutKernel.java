package dev.panamacnn.gpu.kernels;

/**
 * Inverted dropout, one work-item per element: {@code dst = src / (1 - rate)} where the counter-based mask keeps the
 * element, else 0; {@code train == 0} copies. The mask is {@code runtime.CounterRng}'s, repeated here because
 * Aparapi's translator reads only this class (the same integer operations, so the same bits as the CPU engine).
 */
public final class DropoutKernel extends NetKernel {
    public float[] src, dst;
    public int count, perSample, seed, step, threshold, train;
    public float scale;

    int mix(int v) {
        int x = v;
        x ^= (x >> 16) & 0xFFFF;
        x *= 0x7feb352d;
        x ^= (x >> 15) & 0x1FFFF;
        x *= 0x846ca68b;
        x ^= (x >> 16) & 0xFFFF;
        return x;
    }

    @Override public void run() {
        int i = getGlobalId();
        if (i < count) {
            float v = src[i];
            if (train != 0) {
                int smp = i / perSample;
                int e = i - smp * perSample;
                int h = mix(mix(mix(mix(seed) ^ step) ^ smp) ^ e);
                v = (h & 0xFFFFFF) >= threshold ? v * scale : 0f;
            }
            dst[i] = v;
        }
    }
}
