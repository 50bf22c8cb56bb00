package dev.panamacnn.gpu.kernels;

/** Activation codes shared by the kernels (an int field, since kernels cannot hold enums). */
public final class Act {
    private Act() {}
    public static final int LINEAR = 0, RELU = 1, SIGMOID = 2, TANH = 3, ELU = 4, LEAKY_RELU = 5;
}
