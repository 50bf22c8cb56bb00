package dev.panamacnn.train;

import java.util.Map;

/**
 * Keras' {@code EarlyStopping(monitor="val_loss", min_delta=0, patience=0, mode="auto", restore_best_weights=False,
 * start_from_epoch=0)}: after each epoch, an improvement (by more than min_delta) resets the wait; otherwise, once
 * {@code patience} epochs passed without one, training stops, and with restore_best_weights the weights of the best
 * epoch are put back. As in Keras, it never stops after the first epoch, and epochs before start_from_epoch are not watched.
 */
public final class EarlyStopping implements Callback {
    private final Monitor monitor;
    private final double minDelta;
    private final int patience, startFromEpoch;
    private final boolean restoreBestWeights;
    private FitContext ctx;
    private double best;
    private int wait, bestEpoch = -1, stoppedEpoch = -1;
    private float[] bestWeights;

    public EarlyStopping(String monitor, double minDelta, int patience, String mode, boolean restoreBestWeights, int startFromEpoch) {
        if (patience < 0 || startFromEpoch < 0) throw new IllegalArgumentException("EarlyStopping: patience and start_from_epoch must be >= 0");
        this.monitor = Monitor.of(monitor, mode);
        this.minDelta = Math.abs(minDelta);
        this.patience = patience;
        this.restoreBestWeights = restoreBestWeights;
        this.startFromEpoch = startFromEpoch;
    }

    /** {@code EarlyStopping(monitor, patience=patience, restore_best_weights=restore)}. */
    public EarlyStopping(String monitor, int patience, boolean restoreBestWeights) { this(monitor, 0, patience, "auto", restoreBestWeights, 0); }

    @Override public void setContext(FitContext c) { ctx = c; }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) {
        best = monitor.worst();
        wait = 0;
        bestEpoch = -1;
        stoppedEpoch = -1;
        bestWeights = null;
    }

    @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
        if (epoch < startFromEpoch) return;
        double current = monitor.read(logs, "EarlyStopping");
        if (restoreBestWeights && bestWeights == null) bestWeights = ctx.weights();
        wait++;
        if (monitor.improves(current, best, minDelta)) {
            best = current;
            bestEpoch = epoch;
            if (restoreBestWeights) bestWeights = ctx.weights();
            wait = 0;
            return;
        }
        if (wait >= patience && epoch > 0) {
            stoppedEpoch = epoch;
            ctx.stopTraining();
            if (restoreBestWeights && bestWeights != null) ctx.setWeights(bestWeights);
        }
    }

    /** The epoch (from 0) training stopped after, or -1. */
    public int stoppedEpoch() { return stoppedEpoch; }

    /** The best epoch (from 0) seen, or -1. */
    public int bestEpoch() { return bestEpoch; }

    public double best() { return best; }
}
