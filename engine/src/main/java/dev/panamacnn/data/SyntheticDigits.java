package dev.panamacnn.data;

import dev.panamacnn.runtime.Rng;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A small, self-made stand-in for MNIST: seven-segment digits 0-9 drawn at random positions, stroke widths and
 * intensities on a noisy 28x28 canvas, written as IDX files with MNIST's names. Tests and demos use it so that
 * nothing needs a download; a CNN separates its classes well, but not trivially.
 */
public final class SyntheticDigits {
    private SyntheticDigits() {}

    /** Segments a..g lit for each digit. */
    private static final String[] SEGMENTS = {"abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg", "abcdfg"};

    /** Writes {@code train} training and {@code test} test samples into {@code dir} as the four MNIST IDX files. */
    public static void write(Path dir, int train, int test, long seed) throws IOException {
        Rng r = new Rng(seed);
        writePair(dir.resolve(Mnist.TRAIN_IMAGES), dir.resolve(Mnist.TRAIN_LABELS), train, r);
        writePair(dir.resolve(Mnist.TEST_IMAGES), dir.resolve(Mnist.TEST_LABELS), test, r);
    }

    private static void writePair(Path images, Path labels, int n, Rng r) throws IOException {
        byte[] px = new byte[n * 28 * 28], lb = new byte[n];
        for (int i = 0; i < n; i++) {
            int digit = r.nextInt(10);
            lb[i] = (byte) digit;
            draw(digit, r, px, i * 784);
        }
        IdxReader.write(images, new int[] {n, 28, 28}, px);
        IdxReader.write(labels, new int[] {n}, lb);
    }

    /** Draws one digit into {@code px[off..off+784)}. */
    public static void draw(int digit, Rng r, byte[] px, int off) {
        float[] img = new float[784];
        int w = 10 + r.nextInt(5), h = 16 + r.nextInt(5), t = 2 + r.nextInt(2);
        int x0 = 2 + r.nextInt(28 - w - 4), y0 = 2 + r.nextInt(28 - h - 4);
        float ink = 0.6f + 0.4f * r.nextFloat();
        int ym = y0 + h / 2;
        for (char s : SEGMENTS[digit].toCharArray()) {
            switch (s) {
                case 'a' -> rect(img, x0, y0, x0 + w, y0 + t, ink);
                case 'b' -> rect(img, x0 + w - t, y0, x0 + w, ym, ink);
                case 'c' -> rect(img, x0 + w - t, ym, x0 + w, y0 + h, ink);
                case 'd' -> rect(img, x0, y0 + h - t, x0 + w, y0 + h, ink);
                case 'e' -> rect(img, x0, ym, x0 + t, y0 + h, ink);
                case 'f' -> rect(img, x0, y0, x0 + t, ym, ink);
                case 'g' -> rect(img, x0, ym - t / 2, x0 + w, ym - t / 2 + t, ink);
                default -> throw new IllegalStateException();
            }
        }
        for (int i = 0; i < 784; i++) {
            float v = img[i] + (float) (r.nextGaussian() * 0.08);
            px[off + i] = (byte) Math.round(255 * Math.min(1f, Math.max(0f, v)));
        }
    }

    private static void rect(float[] img, int xa, int ya, int xb, int yb, float v) {
        for (int y = Math.max(0, ya); y < Math.min(28, yb); y++)
            for (int x = Math.max(0, xa); x < Math.min(28, xb); x++) img[y * 28 + x] = v;
    }
}
