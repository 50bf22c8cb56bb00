package dev.panamacnn.train;

/** Training produced a NaN or infinite loss or parameter; the message says where. */
public final class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) { super(message); }
}
