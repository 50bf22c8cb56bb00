package dev.panamacnn.cli;

import dev.panamacnn.loss.Loss;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.optim.AdamW;
import dev.panamacnn.optim.LearningRateSchedule;
import dev.panamacnn.optim.Optimizer;
import dev.panamacnn.optim.RMSprop;
import dev.panamacnn.optim.SGD;
import dev.panamacnn.train.CSVLogger;
import dev.panamacnn.train.Callback;
import dev.panamacnn.train.EarlyStopping;
import dev.panamacnn.train.ModelCheckpoint;
import dev.panamacnn.train.ReduceLROnPlateau;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What Keras' {@code compile} and {@code fit(callbacks=...)} take, as options of {@code train}: the loss, the optimizer
 * and its settings, a learning-rate schedule, and the usual callbacks.
 */
final class KerasOptions {
    @Option(names = "--loss", defaultValue = "categorical_crossentropy",
            description = "categorical_crossentropy, sparse_categorical_crossentropy (integer labels) or binary_crossentropy (default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--label-smoothing", defaultValue = "0", description = "Label smoothing of the cross-entropy (default: ${DEFAULT-VALUE}).")
    float labelSmoothing;

    @Option(names = "--optimizer", defaultValue = "adam", description = "adam, adamw, sgd or rmsprop (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--learning-rate", description = "Step size (default: Keras' per optimizer: 0.001, SGD 0.01... but 0.001 for the tutorial).")
    Float learningRate;

    @Option(names = "--momentum", description = "Momentum for sgd (default 0.9 here) and rmsprop (default 0).")
    Float momentum;

    @Option(names = "--nesterov", description = "Nesterov momentum for sgd.")
    boolean nesterov;

    @Option(names = "--amsgrad", description = "AMSGrad variant of adam and adamw.")
    boolean amsgrad;

    @Option(names = "--weight-decay", defaultValue = "0.004", description = "Decoupled weight decay of adamw (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--lr-schedule", description = "exponential:DECAY_STEPS:DECAY_RATE or cosine:DECAY_STEPS[:ALPHA] (Keras' ExponentialDecay, CosineDecay), from --learning-rate.")
    String schedule;

    @Option(names = "--early-stopping", paramLabel = "PATIENCE", description = "Stop after PATIENCE epochs without improvement of --monitor, and restore the best epoch's weights.")
    Integer earlyStopping;

    @Option(names = "--reduce-lr-on-plateau", paramLabel = "PATIENCE", description = "Multiply the learning rate by 0.1 after PATIENCE epochs without improvement of --monitor.")
    Integer reduceLr;

    @Option(names = "--monitor", description = "What the callbacks watch (default: val_loss with --validation-split, else loss).")
    String monitor;

    @Option(names = "--csv-log", paramLabel = "FILE", description = "Write one row of logs per epoch (Keras' CSVLogger).")
    Path csvLog;

    @Option(names = "--save-best", paramLabel = "DIR", description = "Save the model whenever --monitor improves (ModelCheckpoint with save_best_only).")
    Path saveBest;

    Loss loss(CommandLine cl) {
        try {
            return Loss.byName(loss.toLowerCase(Locale.ROOT), labelSmoothing);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--loss: " + e.getMessage());
        }
    }

    /** The metric Keras' "accuracy" string means for the loss. */
    Metric metric() { return Metric.ACCURACY; }

    float rate() { return learningRate != null ? learningRate : 0.001f; }

    Optimizer optimizer(CommandLine cl) {
        float lr = rate();
        if (!(lr > 0) || Float.isInfinite(lr)) throw new CommandLine.ParameterException(cl, "--learning-rate must be > 0, got " + lr);
        LearningRateSchedule s = schedule(cl, lr);
        try {
            return switch (optimizer.toLowerCase(Locale.ROOT)) {
                case "adam" -> new Adam(lr, s, 0.9f, 0.999f, 1e-7f, amsgrad);
                case "adamw" -> new AdamW(lr, s, weightDecay, 0.9f, 0.999f, 1e-7f, amsgrad);
                case "sgd" -> new SGD(lr, s, momentum != null ? momentum : 0.9f, nesterov);
                case "rmsprop" -> new RMSprop(lr, s, 0.9f, momentum != null ? momentum : 0f, 1e-7f, false);
                default -> throw new CommandLine.ParameterException(cl, "--optimizer must be adam, adamw, sgd or rmsprop, got '" + optimizer + "'");
            };
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--optimizer " + optimizer + ": " + e.getMessage());
        }
    }

    private LearningRateSchedule schedule(CommandLine cl, float lr) {
        if (schedule == null) return null;
        String[] p = schedule.split(":");
        try {
            return switch (p[0]) {
                case "exponential" -> {
                    if (p.length != 3) throw new IllegalArgumentException("expected exponential:DECAY_STEPS:DECAY_RATE");
                    yield new LearningRateSchedule.ExponentialDecay(lr, Long.parseLong(p[1]), Double.parseDouble(p[2]), false);
                }
                case "cosine" -> {
                    if (p.length < 2 || p.length > 3) throw new IllegalArgumentException("expected cosine:DECAY_STEPS[:ALPHA]");
                    yield new LearningRateSchedule.CosineDecay(lr, Long.parseLong(p[1]), p.length == 3 ? Double.parseDouble(p[2]) : 0);
                }
                default -> throw new IllegalArgumentException("expected exponential:DECAY_STEPS:DECAY_RATE or cosine:DECAY_STEPS[:ALPHA]");
            };
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--lr-schedule '" + schedule + "': " + e.getMessage());
        }
    }

    List<Callback> callbacks(CommandLine cl, boolean validation) {
        String mon = monitor != null ? monitor : validation ? "val_loss" : "loss";
        if (mon.startsWith("val_") && !validation) throw new CommandLine.ParameterException(cl, "--monitor " + mon + " needs --validation-split");
        if (earlyStopping != null && earlyStopping < 0) throw new CommandLine.ParameterException(cl, "--early-stopping must be >= 0");
        if (reduceLr != null && reduceLr < 0) throw new CommandLine.ParameterException(cl, "--reduce-lr-on-plateau must be >= 0");
        List<Callback> l = new ArrayList<>();
        if (earlyStopping != null) l.add(new EarlyStopping(mon, earlyStopping, true));
        if (reduceLr != null) l.add(new ReduceLROnPlateau(mon, 0.1, reduceLr));
        if (csvLog != null) l.add(new CSVLogger(csvLog));
        if (saveBest != null) l.add(new ModelCheckpoint(saveBest.toString(), mon, true));
        return l;
    }

    boolean sparse() { return loss.equalsIgnoreCase("sparse_categorical_crossentropy"); }
}
