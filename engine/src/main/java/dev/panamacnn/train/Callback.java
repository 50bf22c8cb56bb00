package dev.panamacnn.train;

import java.util.Map;

/** Hooks into {@code fit}, as Keras callbacks do. Epochs and steps count from 0. */
public interface Callback {
    /** Called first, with what the callback may do to the training ({@code callback.model} in Keras). */
    default void setContext(FitContext context) {}
    default void onTrainBegin(int epochs, int stepsPerEpoch) {}
    default void onEpochBegin(int epoch) {}
    /**
     * {@code logs} holds the running means over the epoch so far ({@code loss}, {@code accuracy}); at epoch end also the
     * validation metrics ({@code val_loss}, {@code val_accuracy}) when there is validation data.
     */
    default void onBatchEnd(int epoch, int step, Map<String, Double> logs) {}
    default void onEpochEnd(int epoch, Map<String, Double> logs) {}
    default void onTrainEnd(History history) {}
}
