package dev.panamacnn.runtime;

/**
 * A counter-based random generator: a stateless hash of a key, so that a random decision depends only on what it is
 * about and never on which thread or device made it, or on how many were drawn before. Dropout keys its masks by
 * (seed, step, sample, element): results do not depend on the thread count, and a resumed run draws the same masks
 * with no generator state in the checkpoint.
 *
 * <p>The hash is 32-bit integer arithmetic only (multiplications that wrap, xors, masked shifts), so device kernels
 * compute the same bits (the OpenCL kernel {@code gpu.kernels.DropoutKernel} repeats it; the TornadoVM kernel calls
 * this class). The mixer is the "lowbias32" integer finalizer (constants 0x7feb352d and 0x846ca68b, from Chris
 * Wellons' hash-prospector), applied once per key part.
 */
public final class CounterRng {
    private CounterRng() {}

    /** One round of the mixer; {@code x >>> k} written as a masked {@code >>} so every target translates it alike. */
    public static int mix(int x) {
        x ^= (x >> 16) & 0xFFFF;
        x *= 0x7feb352d;
        x ^= (x >> 15) & 0x1FFFF;
        x *= 0x846ca68b;
        x ^= (x >> 16) & 0xFFFF;
        return x;
    }

    /** 32 random bits for the key {@code (seed, step, sample, element)}. */
    public static int bits(int seed, int step, int sample, int element) {
        return mix(mix(mix(mix(seed) ^ step) ^ sample) ^ element);
    }

    /** The threshold on 24 random bits below which an element is dropped at {@code rate}. */
    public static int threshold(float rate) { return (int) (rate * 16777216f); }

    /** Whether the element of that key is kept ({@code 24 random bits >= threshold}). */
    public static boolean keep(int seed, int step, int sample, int element, int threshold) {
        return (bits(seed, step, sample, element) & 0xFFFFFF) >= threshold;
    }
}
