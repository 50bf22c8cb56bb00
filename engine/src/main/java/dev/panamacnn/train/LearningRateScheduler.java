package dev.panamacnn.train;

import java.util.Map;

/**
 * Keras' {@code LearningRateScheduler(schedule)}: at the start of each epoch the learning rate becomes
 * {@code schedule(epoch, lr)} (epochs from 0, lr the current one).
 */
public final class LearningRateScheduler implements Callback {
    /** Keras' {@code schedule(epoch, lr)}. */
    @FunctionalInterface
    public interface Schedule { double apply(int epoch, double lr); }

    private final Schedule schedule;
    private FitContext ctx;

    public LearningRateScheduler(Schedule schedule) { this.schedule = schedule; }

    @Override public void setContext(FitContext c) { ctx = c; }

    @Override public void onEpochBegin(int epoch) {
        double lr = schedule.apply(epoch, ctx.optimizer().learningRate());
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalStateException("LearningRateScheduler: the schedule gave " + lr + " for epoch " + epoch);
        ctx.optimizer().setLearningRate((float) lr);
    }

    @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
        logs.put("learning_rate", (double) ctx.optimizer().learningRate());
    }
}
