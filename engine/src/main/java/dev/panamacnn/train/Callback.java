package dev.panamacnn.train;

import java.util.Map;

/** Hooks into {@code fit}, as Keras callbacks do. Epochs and steps count from 0. */
public interface Callback {
    default void onTrainBegin(int epochs, int stepsPerEpoch) {}
    default void onEpochBegin(int epoch) {}
    /** {@code logs} holds the running means over the epoch so far ({@code loss}, {@code accuracy}). */
    default void onBatchEnd(int epoch, int step, Map<String, Double> logs) {}
    default void onEpochEnd(int epoch, Map<String, Double> logs) {}
    default void onTrainEnd(History history) {}
}
