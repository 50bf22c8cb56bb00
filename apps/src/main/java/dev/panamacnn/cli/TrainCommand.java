package dev.panamacnn.cli;

import dev.panamacnn.runtime.Parallel;
import dev.panamacnn.data.Dataset;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.exec.Backend;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.models.Models;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.optim.Optimizer;
import dev.panamacnn.optim.SGD;
import dev.panamacnn.train.EvalResult;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.train.History;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.train.ProgressBar;
import dev.panamacnn.train.TrainingStopped;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code panama-cnn train}: the Keras tutorial, end to end. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train the tutorial CNN on MNIST and print the test loss and accuracy.")
final class TrainCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin DataOptions data;
    @CommandLine.Mixin BackendOptions backend;
    @CommandLine.ParentCommand PanamaCnn parent;

    @Option(names = "--epochs", defaultValue = "10", description = "Passes over the training data (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "128", description = "Samples per gradient step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--learning-rate", defaultValue = "0.001", description = "Optimizer step size (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--optimizer", defaultValue = "adam", description = "adam or sgd (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--momentum", defaultValue = "0.9", description = "Momentum for --optimizer sgd (default: ${DEFAULT-VALUE}).")
    float momentum;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for weights and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", description = "Worker threads (default: all processors). Results do not depend on it.")
    Integer threads;

    @Option(names = "--limit", description = "Train on the first N training images only.")
    Integer limit;

    @Option(names = "--checkpoint-dir", description = "Where checkpoints go: at the end of every epoch, and every --checkpoint-every steps (default: ~/.cache/panama-cnn/checkpoints).")
    Path checkpointDir;

    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Also checkpoint every N steps (default: 0 = only at epoch ends).")
    int checkpointEvery;

    @Option(names = "--no-checkpoint", description = "Do not write checkpoints.")
    boolean noCheckpoint;

    @Option(names = "--resume", description = "Continue from the checkpoint in --checkpoint-dir (same settings as the interrupted run).")
    boolean resume;

    @Option(names = "--save", description = "Save the trained model (model.json, weights.bin, history.csv, history.json) into this folder.")
    Path save;

    @Option(names = "--validation-split", defaultValue = "0", description = "Hold out this fraction of the training images (taken from the end) for validation each epoch (default: ${DEFAULT-VALUE}).")
    double validationSplit;

    static Path defaultCheckpointDir() {
        return dev.panamacnn.runtime.Flags.dataHome().resolve("checkpoints");
    }

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        CommandLine cl = spec.commandLine();
        if (epochs < 1) throw new CommandLine.ParameterException(cl, "--epochs must be >= 1, got " + epochs);
        if (batchSize < 1) throw new CommandLine.ParameterException(cl, "--batch-size must be >= 1, got " + batchSize);
        if (!(learningRate > 0) || Float.isInfinite(learningRate)) throw new CommandLine.ParameterException(cl, "--learning-rate must be > 0, got " + learningRate);
        if (threads != null && threads < 1) throw new CommandLine.ParameterException(cl, "--threads must be >= 1, got " + threads);
        if (limit != null && limit < 1) throw new CommandLine.ParameterException(cl, "--limit must be >= 1, got " + limit);
        if (!(validationSplit >= 0 && validationSplit < 1)) throw new CommandLine.ParameterException(cl, "--validation-split must be in [0, 1), got " + validationSplit);
        if (checkpointEvery < 0) throw new CommandLine.ParameterException(cl, "--checkpoint-every must be >= 0, got " + checkpointEvery);
        if (resume && noCheckpoint) throw new CommandLine.ParameterException(cl, "--resume and --no-checkpoint contradict each other");
        Path ckpt = noCheckpoint ? null : (checkpointDir != null ? checkpointDir : defaultCheckpointDir());
        if (resume && !dev.panamacnn.io.Checkpoint.exists(ckpt)) {
            throw new CommandLine.ParameterException(cl, "--resume: no checkpoint in " + ckpt + " (expected " + dev.panamacnn.io.Checkpoint.FILE + ")");
        }
        Optimizer opt = switch (optimizer.toLowerCase(Locale.ROOT)) {
            case "adam" -> new Adam(learningRate);
            case "sgd" -> new SGD(learningRate, momentum);
            default -> throw new CommandLine.ParameterException(cl, "--optimizer must be adam or sgd, got '" + optimizer + "'");
        };
        if (ckpt != null) Dirs.requireWritableDir(ckpt, "--checkpoint-dir");
        BackendOptions.Choice where = backend.choose(out);
        if (save != null) Dirs.requireWritableDir(save, "--save");
        Mnist mnist = data.load(out);
        Dataset train = mnist.train();
        if (limit != null) {
            if (limit > train.size()) throw new CommandLine.ParameterException(cl, "--limit " + limit + " is larger than the " + train.size() + " training images");
            train = train.take(limit);
        }
        Dataset validation = null;
        if (validationSplit > 0) {
            int nVal = (int) Math.round(train.size() * validationSplit);
            if (nVal < 1 || nVal >= train.size()) throw new CommandLine.ParameterException(cl, "--validation-split leaves no training or validation data");
            validation = train.slice(train.size() - nVal, nVal);
            train = train.take(train.size() - nVal);
        }
        if (batchSize > train.size()) {
            throw new CommandLine.ParameterException(cl, "--batch-size " + batchSize + " is larger than the " + train.size() + " training images");
        }
        int nThreads = threads != null ? threads : Parallel.defaultThreads();
        try (Sequential model = Models.kerasMnistTutorial().seed(seed).threads(nThreads)) {
            model.compile(opt, Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            out.print(model.summary());
            try (Backend acc = backend.attach(where, model, batchSize, out)) {
                out.printf(Locale.ROOT, "Training on %d images (%s, batch %d, %s lr %s, seed %d); testing on %d%n",
                        train.size(), acc != null ? acc.description() : nThreads + " threads", batchSize, opt.name(), learningRate, seed, mnist.test().size());
                return trainAndTest(model, train, validation, mnist, ckpt, out);
            }
        }
    }

    private int trainAndTest(Sequential model, Dataset train, Dataset validation, Mnist mnist, Path ckpt, PrintWriter out) throws Exception {
        out.flush();
        boolean terminal = parent != null && parent.interactive;
        TrainingStopped stop = new TrainingStopped();
        Interrupts.onCtrlC(() -> {
            out.println();
            out.println("Stopping at the end of this step" + (ckpt != null ? " and writing a checkpoint" : "") + " (Ctrl-C again to quit at once) ...");
            out.flush();
            stop.request();
        });
        if (ckpt != null) out.println((resume ? "Resuming from " : "Checkpoints go to ") + ckpt);
        out.flush();
        History h = model.fit(train, FitOptions.builder().batchSize(batchSize).epochs(epochs)
                .validationData(validation).verbose(false).callback(new ProgressBar(out, terminal))
                .checkpoint(ckpt, checkpointEvery).resume(resume).stopOn(stop).build());
        if (h.stopped()) {
            out.println("Training stopped." + (ckpt != null ? " Resume with: bin/panama-cnn train --resume --checkpoint-dir " + ckpt
                    + " (and the same other options)" : " No checkpoint was written (--no-checkpoint)."));
            out.flush();
            return 130;
        }
        if (save != null) {
            model.save(save);
            HistoryFiles.write(h, save);
            out.println("Saved the model to " + save);
        }
        EvalResult r = model.evaluate(mnist.test(), 1000);
        double mean = h.epochSeconds().stream().mapToDouble(Double::doubleValue).average().orElse(0);
        out.printf(Locale.ROOT, "Mean epoch time: %.1f s%n", mean);
        out.printf(Locale.ROOT, "Test loss: %.4f%n", r.loss());
        out.printf(Locale.ROOT, "Test accuracy: %.4f%n", r.accuracy());
        out.flush();
        return 0;
    }
}
