package dev.panamacnn.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keras' {@code ModelCheckpoint(filepath, monitor="val_loss", save_best_only=False, mode="auto")}: at the end of every
 * epoch (or only when the monitored value improved), the model is saved into the folder {@code filepath}, written
 * atomically like every model file. The path may hold Keras' placeholders: {@code {epoch}} (from 1, as Keras counts),
 * {@code {epoch:02d}}, and a log value such as {@code {val_loss:.4f}}.
 */
public final class ModelCheckpoint implements Callback {
    private static final Pattern FIELD = Pattern.compile("\\{([a-z_]+)(?::([^}]*))?}");
    private final String filepath;
    private final Monitor monitor;
    private final boolean saveBestOnly;
    private FitContext ctx;
    private double best;
    private Path lastSaved;

    public ModelCheckpoint(String filepath, String monitor, boolean saveBestOnly, String mode) {
        this.filepath = filepath;
        this.monitor = Monitor.of(monitor, mode);
        this.saveBestOnly = saveBestOnly;
    }

    public ModelCheckpoint(String filepath, String monitor, boolean saveBestOnly) { this(filepath, monitor, saveBestOnly, "auto"); }

    @Override public void setContext(FitContext c) { ctx = c; }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) { best = monitor.worst(); }

    @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
        if (saveBestOnly) {
            double current = monitor.read(logs, "ModelCheckpoint");
            if (!monitor.improves(current, best, 0)) return;
            best = current;
        }
        Path dir = Path.of(format(filepath, epoch, logs));
        try {
            ctx.saveModel(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("ModelCheckpoint: cannot save the model into " + dir + ": " + e.getMessage(), e));
        }
        lastSaved = dir;
    }

    /** The folder saved last, or null. */
    public Path lastSaved() { return lastSaved; }

    static String format(String path, int epoch, Map<String, Double> logs) {
        Matcher m = FIELD.matcher(path);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String key = m.group(1), spec = m.group(2);
            String v;
            if (key.equals("epoch")) {
                v = spec == null ? Integer.toString(epoch + 1) : String.format(Locale.ROOT, "%" + spec, epoch + 1);
            } else {
                Double d = logs.get(key);
                if (d == null) throw new IllegalArgumentException("ModelCheckpoint: '{" + key + "}' in " + path + " is not in the logs " + logs.keySet());
                v = spec == null ? Double.toString(d) : String.format(Locale.ROOT, "%" + spec, d);
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
