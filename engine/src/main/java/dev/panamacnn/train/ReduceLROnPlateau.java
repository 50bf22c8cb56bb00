package dev.panamacnn.train;

import java.util.Map;

/**
 * Keras' {@code ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=10, mode="auto", min_delta=1e-4, cooldown=0,
 * min_lr=0)}: after {@code patience} epochs without an improvement (by more than min_delta), the learning rate becomes
 * {@code max(lr * factor, min_lr)}, then {@code cooldown} epochs pass before waiting starts again.
 */
public final class ReduceLROnPlateau implements Callback {
    private final Monitor monitor;
    private final double factor, minDelta, minLr;
    private final int patience, cooldown;
    private FitContext ctx;
    private double best;
    private int wait, cooldownCounter;

    public ReduceLROnPlateau(String monitor, double factor, int patience, String mode, double minDelta, int cooldown, double minLr) {
        if (!(factor < 1 && factor >= 0)) throw new IllegalArgumentException("ReduceLROnPlateau: factor must be in [0, 1), got " + factor);
        if (patience < 0 || cooldown < 0 || minLr < 0) throw new IllegalArgumentException("ReduceLROnPlateau: patience, cooldown and min_lr must be >= 0");
        this.monitor = Monitor.of(monitor, mode);
        this.factor = factor;
        this.patience = patience;
        this.minDelta = minDelta;
        this.cooldown = cooldown;
        this.minLr = minLr;
    }

    /** {@code ReduceLROnPlateau(monitor, factor=factor, patience=patience)}. */
    public ReduceLROnPlateau(String monitor, double factor, int patience) { this(monitor, factor, patience, "auto", 1e-4, 0, 0); }

    @Override public void setContext(FitContext c) { ctx = c; }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) {
        best = monitor.worst();
        wait = 0;
        cooldownCounter = 0;
    }

    @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
        double current = monitor.read(logs, "ReduceLROnPlateau");
        if (cooldownCounter > 0) {
            cooldownCounter--;
            wait = 0;
        }
        if (monitor.improves(current, best, minDelta)) {
            best = current;
            wait = 0;
        } else if (cooldownCounter == 0) {
            wait++;
            if (wait >= patience) {
                float old = ctx.optimizer().learningRate();
                if (old > minLr) {
                    ctx.optimizer().setLearningRate((float) Math.max(old * factor, minLr));
                    cooldownCounter = cooldown;
                    wait = 0;
                }
            }
        }
        logs.put("learning_rate", (double) ctx.optimizer().learningRate());
    }
}
