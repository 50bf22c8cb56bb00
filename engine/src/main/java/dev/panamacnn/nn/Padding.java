package dev.panamacnn.nn;

/**
 * Keras' {@code padding} argument of convolutions and poolings. {@code valid}: windows lie inside the input,
 * {@code out = (in - k) / s + 1}. {@code same}: {@code out = ceil(in / s)}, the input padded by
 * {@code total = max((out - 1) s + k - in, 0)} with {@code total / 2} before and the rest after (TensorFlow's and
 * Keras' rule: the extra row or column goes at the bottom and right).
 */
public enum Padding {
    VALID("valid"), SAME("same");

    private final String kerasName;

    Padding(String kerasName) { this.kerasName = kerasName; }

    public String kerasName() { return kerasName; }

    public static Padding fromKerasName(String name) {
        for (Padding p : values()) if (p.kerasName.equals(name)) return p;
        throw new IllegalArgumentException("padding must be 'valid' or 'same', got '" + name + "'");
    }

    /** Output size along one axis of {@code in} for a window {@code k} and stride {@code s}. */
    public int outputSize(int in, int k, int s) {
        return this == VALID ? (in - k) / s + 1 : (in + s - 1) / s;
    }

    /** Padding before the input along one axis (top or left). */
    public int before(int in, int k, int s) { return total(in, k, s) / 2; }

    /** Total padding along one axis. */
    public int total(int in, int k, int s) {
        return this == VALID ? 0 : Math.max((outputSize(in, k, s) - 1) * s + k - in, 0);
    }
}
