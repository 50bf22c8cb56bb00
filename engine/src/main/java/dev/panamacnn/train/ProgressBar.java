package dev.panamacnn.train;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;

/**
 * Keras-style progress: {@code Epoch 1/10} then
 * {@code 469/469 [==============================] - 12s 25ms/step - loss: 0.0412 - accuracy: 0.9871}.
 * On a terminal the line is redrawn in place; otherwise one line is printed per epoch.
 */
public final class ProgressBar implements Callback {
    private final PrintWriter out;
    private final boolean interactive;
    private int epochs, steps;
    private long epochStart, lastDraw;

    public ProgressBar(PrintWriter out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    /** Interactive when standard output is a terminal. */
    public static ProgressBar toStdout() {
        java.io.Console c = System.console();
        return new ProgressBar(new PrintWriter(System.out, true), c != null && c.isTerminal());
    }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) { this.epochs = epochs; this.steps = stepsPerEpoch; }

    @Override public void onEpochBegin(int epoch) {
        out.println("Epoch " + (epoch + 1) + "/" + epochs);
        out.flush();
        epochStart = System.nanoTime();
        lastDraw = 0;
    }

    @Override public void onBatchEnd(int epoch, int step, Map<String, Double> logs) {
        if (!interactive) return;
        long now = System.nanoTime();
        if (step + 1 < steps && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        out.print("\r" + line(step + 1, logs, now) + "\u001b[K");
        out.flush();
    }

    @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
        String l = line(steps, logs, System.nanoTime());
        out.println(interactive ? "\r" + l + "\u001b[K" : l);
        out.flush();
    }

    String line(int done, Map<String, Double> logs, long now) {
        double secs = (now - epochStart) / 1e9;
        int width = 30, filled = steps == 0 ? width : (int) ((long) width * done / steps);
        StringBuilder bar = new StringBuilder();
        for (int i = 0; i < width; i++) bar.append(i < filled - 1 || (i == filled - 1 && done == steps) ? '=' : i == filled - 1 ? '>' : '.');
        StringBuilder sb = new StringBuilder();
        sb.append(done).append('/').append(steps).append(" [").append(bar).append("] - ");
        if (done < steps) {
            double eta = done == 0 ? 0 : secs / done * (steps - done);
            sb.append("ETA: ").append(Math.round(eta)).append('s');
        } else {
            sb.append(Math.round(secs)).append("s ").append(Math.round(secs * 1000 / Math.max(1, done))).append("ms/step");
        }
        logs.forEach((k, v) -> sb.append(" - ").append(k).append(": ").append(String.format(Locale.ROOT, "%.4f", v)));
        return sb.toString();
    }
}
