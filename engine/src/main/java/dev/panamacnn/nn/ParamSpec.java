package dev.panamacnn.nn;

import dev.panamacnn.tensor.Shape;

/**
 * One parameter tensor of a layer: its name ({@code kernel}, {@code bias}), shape, initializer, fans for the
 * initializer, and whether the optimizer trains it. Non-trainable tensors (e.g. a batch normalization's moving
 * statistics) are state that files and checkpoints keep and that the optimizer never touches.
 */
public record ParamSpec(String name, Shape shape, Init init, int fanIn, int fanOut, boolean trainable) {
    /**
     * Keras' initializers ({@code keras.initializers}): the uniform ones draw from {@code [-limit, limit]}, the normal
     * ones from a normal truncated at two standard deviations (Keras' {@code VarianceScaling} with
     * {@code distribution="truncated_normal"}, whose stddev is divided by 0.87962566103423978 to make up for the cut).
     * Glorot: {@code scale 1, fan_avg}; He: {@code scale 2, fan_in}; LeCun: {@code scale 1, fan_in}; uniform limit
     * {@code sqrt(3 scale / fan)}, normal stddev {@code sqrt(scale / fan)}.
     */
    public enum Init {
        GLOROT_UNIFORM("glorot_uniform", "GlorotUniform"), ZEROS("zeros", "Zeros"), ONES("ones", "Ones"),
        GLOROT_NORMAL("glorot_normal", "GlorotNormal"), HE_UNIFORM("he_uniform", "HeUniform"), HE_NORMAL("he_normal", "HeNormal"),
        LECUN_UNIFORM("lecun_uniform", "LecunUniform"), LECUN_NORMAL("lecun_normal", "LecunNormal");

        private final String kerasName, className;

        Init(String kerasName, String className) { this.kerasName = kerasName; this.className = className; }

        /** The name Keras accepts as a string, e.g. {@code glorot_uniform}. */
        public String kerasName() { return kerasName; }

        /** Keras' class name, e.g. {@code GlorotUniform}. */
        public String className() { return className; }

        /** By either name; null when there is none. */
        public static Init byName(String name) {
            for (Init i : values()) if (i.kerasName.equals(name) || i.className.equals(name)) return i;
            return null;
        }

        /** Every name, for error messages. */
        public static String names() {
            StringBuilder sb = new StringBuilder();
            for (Init i : values()) sb.append(sb.isEmpty() ? "" : ", ").append(i.kerasName);
            return sb.toString();
        }
    }

    /** A trainable tensor. */
    public ParamSpec(String name, Shape shape, Init init, int fanIn, int fanOut) { this(name, shape, init, fanIn, fanOut, true); }

    public int size() { return shape.size(); }
}
