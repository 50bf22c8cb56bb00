package dev.panamacnn.opencl;

/**
 * One parameter of a {@code __kernel} function, in declaration order: a global pointer (bound to a
 * {@link ClBuffer}), a local-memory array (bound by size), or a scalar.
 */
public record ClArg(String name, Kind kind, long localBytes) {
    public enum Kind { GLOBAL_FLOAT, GLOBAL_INT, LOCAL, INT, FLOAT }
}
